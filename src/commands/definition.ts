// What a bot command is: one definition per file, validated when the registry takes it. A command
// gets a context and its arguments and returns a reply; it never sees sockets or frames, so it can
// be run and tested without a server.

import { z } from 'zod';
import type { ErrorCode } from '../protocol/errors.ts';

export type Permission = 'everyone' | 'operator';

/** What a command answers with. Errors carry a stable code, as every error in parlor does. */
export type CommandReply =
  | { kind: 'text'; text: string }
  | { kind: 'image'; bytes: Uint8Array; type: string; name: string; width?: number; height?: number }
  | { kind: 'link'; url: string; text?: string }
  | { kind: 'error'; code: ErrorCode; message: string; retryAfterMs?: number };

/** The caller, as the server authenticated it. */
export interface Caller {
  name: string;
  /** The folded name: the unit of cooldowns and of per-user state such as a shell home. */
  key: string;
  fingerprint: string;
  operator: boolean;
  /** The room the command was typed in, when the client said. */
  room?: string;
}

/**
 * What the server lets commands do beyond answering. Moderation and stopping go through here, so
 * that a command file stays free of server internals (and a test can pass a recorder).
 */
export interface BotActions {
  /** Closes the caller's own connection after its reply has gone out. */
  disconnectCaller(message: string): void;
  /** Checks the operator password (constant time, slowed after failures); throws BAD_PASSWORD. */
  checkOperatorPassword(password: string): Promise<void>;
  /** Tells everyone, flushes the store and stops the server after the reply has gone out. */
  stopServer(reason: string): void;
  /** Disconnects every session of the user; `reason` may be '' (the caller is named as who did it). */
  kick(name: string, reason: string): { name: string };
  ban(name: string, reason: string): { name: string; fingerprint: string };
  unban(nameOrFingerprint: string): { name: string; fingerprint: string };
  /** Frees a name from the key it is bound to (its owner lost the key); logged, and told to its next login. */
  release(name: string): { name: string; fingerprint: string };
  announce(text: string): { recipients: number };
}

export interface CommandContext {
  caller: Caller;
  actions: BotActions;
  /** Aborted at the command's deadline: a command that does I/O should pass it on. */
  signal: AbortSignal;
  /** The commands this caller may see, for !help. */
  commands(): readonly CommandDefinition[];
}

export interface CommandDefinition {
  /** Lower-case letters, digits and dashes; typed as `!name`. */
  name: string;
  aliases?: readonly string[];
  /** One line for `!help`. */
  summary: string;
  /** How to call it, e.g. `!echo TEXT`. */
  usage: string;
  permission: Permission;
  /** Per user: how long after one run the next may start. */
  cooldownMs: number;
  /** After this the caller gets COMMAND_TIMEOUT and the run's signal is aborted. */
  timeoutMs: number;
  /** Text longer than this is cut; a larger image is refused. */
  maxOutputBytes: number;
  /** `args` is the rest of the line after the name, trimmed. */
  run(context: CommandContext, args: string): CommandReply | Promise<CommandReply>;
}

export const COMMAND_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const definitionSchema = z.object({
  name: z.string().regex(COMMAND_NAME, 'lower-case letters, digits and dashes, starting with a letter, at most 32'),
  aliases: z.array(z.string().regex(COMMAND_NAME, 'aliases follow the same rule as names')).max(8).optional(),
  summary: z.string().min(1).max(200),
  usage: z.string().min(1).max(200),
  permission: z.enum(['everyone', 'operator']),
  cooldownMs: z.number().int().min(0).max(3_600_000),
  timeoutMs: z.number().int().min(1).max(600_000),
  maxOutputBytes: z.number().int().min(1).max(4 * 1024 * 1024),
  run: z.custom<CommandDefinition['run']>((value) => typeof value === 'function', 'run must be a function'),
});

/** Checks a definition from a built-in or a plugin; the error names every problem. */
export function validateDefinition(value: unknown): { ok: true; definition: CommandDefinition } | { ok: false; problem: string } {
  const result = definitionSchema.safeParse(value);
  if (result.success) return { ok: true, definition: value as CommandDefinition };
  return { ok: false, problem: result.error.issues.map((issue) => `${issue.path.join('.') || 'definition'}: ${issue.message}`).join('; ') };
}

export const text = (value: string): CommandReply => ({ kind: 'text', text: value });
export const failure = (code: ErrorCode, message: string): CommandReply => ({ kind: 'error', code, message });
