// The bot as a server part: it turns a `command` request into a registry run for the session's
// user, gives the command its actions (moderation, stopping, disconnecting the caller), and
// answers only the caller: nobody else in the room sees the command or its output.

import type { BotActions, Caller } from '../commands/definition.ts';
import type { CommandRegistry } from '../commands/registry.ts';
import { ParlorError } from '../protocol/errors.ts';
import type { Reply, Request } from '../protocol/messages.ts';
import type { ChatService } from './chat.ts';
import type { Session } from './session.ts';

/** Commands one session may have running at once: a slow command cannot be stacked up. */
const MAX_RUNNING_PER_SESSION = 4;

export interface BotOutcome {
  reply: Reply<'command'>;
  /** What must happen after the reply has been queued (disconnecting, stopping). */
  after: Array<() => void>;
}

export class Bot {
  private readonly running = new Map<Session, number>();

  constructor(
    private readonly registry: CommandRegistry,
    private readonly chat: ChatService,
    private readonly stopServer: (reason: string) => void,
  ) {}

  async run(session: Session, request: Request<'command'>): Promise<BotOutcome> {
    const user = session.user;
    if (!user) throw new ParlorError('NOT_LOGGED_IN');
    const count = this.running.get(session) ?? 0;
    if (count >= MAX_RUNNING_PER_SESSION) throw new ParlorError('COMMAND_BUSY', `you have ${count} commands running: wait for one to finish`);
    this.running.set(session, count + 1);
    try {
      const after: Array<() => void> = [];
      const caller: Caller = {
        name: user.name,
        key: user.key,
        fingerprint: session.client.fingerprint,
        operator: session.operator,
        ...(request.room !== undefined && { room: request.room }),
      };
      const reply = await this.registry.run(caller, request.text, this.actionsFor(session, user.name, after));
      if (reply.kind === 'error') {
        throw new ParlorError(reply.code, reply.message, reply.retryAfterMs === undefined ? {} : { retryAfterMs: reply.retryAfterMs });
      }
      const command = request.text.trim().slice(1).split(/\s/, 1)[0]!.toLowerCase();
      if (reply.kind === 'image') {
        const { bytes, type, name, width, height } = reply;
        const image = { kind: 'image' as const, name, mime: type, data: Buffer.from(bytes).toString('base64'), ...(width && { width }), ...(height && { height }) };
        return { reply: { command, reply: image }, after };
      }
      return { reply: { command, reply }, after };
    } finally {
      const left = (this.running.get(session) ?? 1) - 1;
      if (left > 0) this.running.set(session, left);
      else this.running.delete(session);
    }
  }

  private actionsFor(session: Session, callerName: string, after: Array<() => void>): BotActions {
    return {
      disconnectCaller: (message) => after.push(() => session.connection.close('CONNECTION_CLOSED', message)),
      checkOperatorPassword: (password) => this.chat.moderation.checkOperatorPassword(session, password),
      stopServer: (reason) => after.push(() => this.stopServer(reason)),
      kick: (name, reason) => this.chat.moderation.kick(name, reason, callerName),
      ban: (name, reason) => this.chat.moderation.ban(name, reason, callerName),
      unban: (nameOrFingerprint) => this.chat.moderation.unban(nameOrFingerprint),
      release: (name) => this.chat.moderation.release(name, callerName),
      announce: (text) => this.chat.moderation.announce(callerName, text),
    };
  }
}
