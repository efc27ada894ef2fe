// The bot's registry: it holds the command definitions (built-ins and plugins), and runs a line
// like `!echo hi` for a caller with every rule applied in one place: permission, per-user
// cooldown, deadline and output cap. Whatever a command does (throws, hangs, returns garbage), the
// caller gets a reply or a coded error and the server goes on.

import { ERROR_CODES, isErrorCode, ParlorError } from '../protocol/errors.ts';
import { validateDefinition, type BotActions, type Caller, type CommandDefinition, type CommandReply } from './definition.ts';

export interface RegistryOptions {
  /** Names (or aliases) of commands turned off on this server. */
  disabled?: readonly string[];
}

/** What went wrong with one definition, e.g. a plugin: reported at start, then skipped. */
export interface RegistryProblem {
  source: string;
  problem: string;
}

export { isCommandLine } from '../protocol/command-line.ts';

/** Splits `!name rest of line` into the lower-cased name and the trimmed rest. */
export function parseCommandLine(line: string): { name: string; args: string } {
  const match = /^!(\S+)\s*([\s\S]*)$/.exec(line.trim());
  if (!match) throw new ParlorError('UNKNOWN_COMMAND', 'a bot command starts with ! and a name, e.g. !help');
  return { name: match[1]!.toLowerCase(), args: match[2]!.trim() };
}

export class CommandRegistry {
  private readonly byName = new Map<string, CommandDefinition>();
  private readonly sources = new Map<CommandDefinition, string>();
  private readonly disabled: Set<string>;
  /** When each (user, command) last started: the cooldown's memory. */
  private readonly lastRun = new Map<string, number>();

  constructor(options: RegistryOptions = {}) {
    this.disabled = new Set((options.disabled ?? []).map((name) => name.toLowerCase()));
  }

  /** Adds a definition; throws with the reason when it is malformed or clashes with a name taken. */
  add(candidate: unknown, source = 'built-in'): CommandDefinition {
    const checked = validateDefinition(candidate);
    if (!checked.ok) throw new ParlorError('BAD_OPTION', `${source}: ${checked.problem}`);
    const definition = checked.definition;
    for (const name of [definition.name, ...(definition.aliases ?? [])]) {
      const holder = this.byName.get(name);
      if (holder) throw new ParlorError('BAD_OPTION', `${source}: !${name} is taken by ${this.sources.get(holder)} (!${holder.name})`);
    }
    for (const name of [definition.name, ...(definition.aliases ?? [])]) this.byName.set(name, definition);
    this.sources.set(definition, source);
    return definition;
  }

  /** Adds what it can; what it cannot is returned, never thrown, so one bad plugin skips alone. */
  addAll(candidates: ReadonlyArray<{ definition: unknown; source: string }>): RegistryProblem[] {
    const problems: RegistryProblem[] = [];
    for (const { definition, source } of candidates) {
      try {
        this.add(definition, source);
      } catch (error) {
        problems.push({ source, problem: (error as Error).message });
      }
    }
    return problems;
  }

  /** A command by name or alias, unless it is turned off. */
  get(name: string): CommandDefinition | undefined {
    const definition = this.byName.get(name.toLowerCase());
    if (!definition || this.isDisabled(definition)) return undefined;
    return definition;
  }

  /** Whether `--disable-command` names this (so a command with costly setup need not be built). */
  isTurnedOff(name: string): boolean {
    return this.disabled.has(name.toLowerCase());
  }

  /** Every enabled command once, in name order. */
  list(): CommandDefinition[] {
    return [...new Set(this.byName.values())].filter((d) => !this.isDisabled(d)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Which of these names no command answers to (a typo in --disable-command, most likely). */
  unknownAmong(names: readonly string[]): string[] {
    return names.map((name) => name.toLowerCase()).filter((name) => !this.byName.has(name));
  }

  /** Runs one line for a caller. Never throws: every failure is an error reply. */
  async run(caller: Caller, line: string, actions: BotActions): Promise<CommandReply> {
    let name: string;
    let args: string;
    try {
      ({ name, args } = parseCommandLine(line));
    } catch (error) {
      return errorReply(error);
    }
    const definition = this.byName.get(name);
    if (!definition && this.disabled.has(name)) return { kind: 'error', code: 'COMMAND_DISABLED', message: `!${name} is turned off on this server` };
    if (!definition) return { kind: 'error', code: 'UNKNOWN_COMMAND', message: `there is no !${name.slice(0, 32)}: try !help` };
    if (this.isDisabled(definition)) return { kind: 'error', code: 'COMMAND_DISABLED', message: `!${definition.name} is turned off on this server` };
    if (definition.permission === 'operator' && !caller.operator) {
      return { kind: 'error', code: 'NOT_OPERATOR', message: `!${definition.name} is for operators: log in as operator with the operator password first` };
    }
    const wait = this.cooldownLeft(caller.key, definition);
    if (wait > 0) {
      return { kind: 'error', code: 'COMMAND_COOLDOWN', message: `!${definition.name} again in ${Math.ceil(wait / 1000)} s`, retryAfterMs: wait };
    }
    this.lastRun.set(`${caller.key}\u0000${definition.name}`, Date.now());
    return capReply(await this.runWithDeadline(definition, caller, args, actions), definition);
  }

  private runWithDeadline(definition: CommandDefinition, caller: Caller, args: string, actions: BotActions): Promise<CommandReply> {
    const controller = new AbortController();
    return new Promise<CommandReply>((resolve) => {
      const timer = setTimeout(() => {
        controller.abort(new ParlorError('COMMAND_TIMEOUT'));
        resolve({ kind: 'error', code: 'COMMAND_TIMEOUT', message: `!${definition.name} did not finish within ${definition.timeoutMs} ms` });
      }, definition.timeoutMs);
      const context = { caller, actions, signal: controller.signal, commands: () => this.list().filter((d) => d.permission === 'everyone' || caller.operator) };
      // Promise.resolve().then: a command that throws synchronously is caught like one that rejects.
      Promise.resolve()
        .then(() => definition.run(context, args))
        .then(
          (reply) => resolve(checkReply(reply, definition)),
          (error: unknown) => resolve(errorReply(error, definition)),
        )
        .finally(() => clearTimeout(timer));
    });
  }

  private cooldownLeft(userKey: string, definition: CommandDefinition): number {
    if (definition.cooldownMs === 0) return 0;
    const now = Date.now();
    if (this.lastRun.size > 10_000) {
      // Forget runs whose cooldowns are long over, so the map stays the size of recent activity.
      const longest = Math.max(...this.list().map((d) => d.cooldownMs));
      for (const [key, at] of this.lastRun) if (now - at > longest) this.lastRun.delete(key);
    }
    const last = this.lastRun.get(`${userKey}\u0000${definition.name}`);
    return last === undefined ? 0 : Math.max(0, last + definition.cooldownMs - now);
  }

  private isDisabled(definition: CommandDefinition): boolean {
    return [definition.name, ...(definition.aliases ?? [])].some((name) => this.disabled.has(name));
  }
}

function errorReply(error: unknown, definition?: CommandDefinition): CommandReply {
  if (error instanceof ParlorError) {
    return { kind: 'error', code: isErrorCode(error.code) ? error.code : 'COMMAND_FAILED', message: error.message, ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }) };
  }
  // A command's own exception is not the caller's business beyond its one-line message.
  const detail = error instanceof Error ? error.message : String(error);
  return { kind: 'error', code: 'COMMAND_FAILED', message: `${definition ? `!${definition.name}` : 'the command'} failed: ${detail.slice(0, 200)}` };
}

/** A plugin may return anything: only the four reply shapes get through. */
function checkReply(reply: unknown, definition: CommandDefinition): CommandReply {
  const bad = (what: string): CommandReply => ({ kind: 'error', code: 'COMMAND_FAILED', message: `!${definition.name} returned ${what}` });
  if (typeof reply !== 'object' || reply === null) return bad('no reply');
  const r = reply as Record<string, unknown>;
  switch (r.kind) {
    case 'text':
      return typeof r.text === 'string' ? { kind: 'text', text: r.text } : bad('text that is not a string');
    case 'link':
      if (typeof r.url !== 'string' || !/^https?:\/\//i.test(r.url)) return bad('a link that is not an http(s) URL');
      return { kind: 'link', url: r.url, ...(typeof r.text === 'string' && { text: r.text }) };
    case 'image':
      if (!(r.bytes instanceof Uint8Array) || typeof r.type !== 'string' || typeof r.name !== 'string') return bad('a malformed image');
      return reply as CommandReply;
    case 'error':
      if (!isErrorCode(r.code)) return bad(`an error with an unknown code`);
      return { kind: 'error', code: r.code, message: typeof r.message === 'string' ? r.message : ERROR_CODES[r.code] };
    default:
      return bad('a reply of no known kind');
  }
}

/** Text is cut at the cap (on a character boundary, and said so); anything else over it is refused. */
function capReply(reply: CommandReply, definition: CommandDefinition): CommandReply {
  const cap = definition.maxOutputBytes;
  switch (reply.kind) {
    case 'text': {
      const bytes = Buffer.from(reply.text);
      if (bytes.length <= cap) return reply;
      const kept = bytes.subarray(0, cap).toString('utf8').replace(/\uFFFD$/, '');
      return { kind: 'text', text: `${kept}\n… (output cut at ${cap} bytes)` };
    }
    case 'image':
      if (reply.bytes.length <= cap) return reply;
      return { kind: 'error', code: 'COMMAND_FAILED', message: `!${definition.name} made an image of ${reply.bytes.length} bytes, over its cap of ${cap}` };
    case 'link':
      if (Buffer.byteLength(reply.url) <= Math.min(cap, 8192)) return reply;
      return { kind: 'error', code: 'COMMAND_FAILED', message: `!${definition.name} made a link longer than its cap` };
    default:
      return reply;
  }
}
