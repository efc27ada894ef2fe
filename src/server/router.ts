// Turns requests into calls on the chat service. Each request is validated against its schema
// first; a bad one gets an error reply with a stable code and the connection stays up. Before
// login only ping and login are allowed; every request spends a token of the session's bucket,
// and a session that keeps hitting the limit is disconnected.

import { asParlorError, ParlorError } from '../protocol/errors.ts';
import { isRequestType, requestEnvelope, requestSchemas, type Request, type RequestType } from '../protocol/messages.ts';
import { COMMAND_AS_CHAT, isCommandLine } from '../protocol/command-line.ts';
import type { Bot } from './bot.ts';
import type { ChatService } from './chat.ts';
import { RetryLaterError } from './limits.ts';
import { foldName } from './names.ts';
import type { Session } from './session.ts';
import type { TransferService } from './transfers.ts';

export interface FloodPolicy {
  /** This many rate-limited requests within `windowMs` disconnect the session. */
  strikes: number;
  windowMs: number;
}

type Handler<T extends RequestType> = (session: Session, request: Request<T>, reply: (data: unknown) => void, fail: (error: unknown) => void) => unknown;

const OPEN_BEFORE_LOGIN: ReadonlySet<RequestType> = new Set(['ping', 'login']);

export class Router {
  private readonly handlers: { [T in RequestType]: Handler<T> };

  constructor(
    private readonly chat: ChatService,
    private readonly bot: Bot,
    private readonly flood: FloodPolicy,
    private readonly onLogin: (session: Session) => void,
    private readonly onInternalError: (session: Session, error: unknown) => void,
    transfers: TransferService,
  ) {
    this.handlers = {
      ping: (_s, r, reply) => reply(r.payload === undefined ? {} : { payload: r.payload }),
      login: async (s, r, reply) => {
        reply(await chat.login(s, r));
        this.onLogin(s);
      },
      join: async (s, r, reply) => reply(await chat.join(s, r)),
      create: async (s, r, reply) => reply(await chat.create(s, r)),
      leave: (s, r, reply) => reply(chat.leave(s, r)),
      rooms: (s, _r, reply) => reply(chat.listRooms(s)),
      members: (s, r, reply) => reply(chat.members(s, r)),
      say: (s, r, reply, fail) => chat.say(s, notACommand(r), reply, fail),
      dm: (s, r, reply, fail) => chat.dm(s, notACommand(r), reply, fail),
      history: async (s, r, reply) => reply(await chat.history(s, r)),
      users: (s, _r, reply) => reply(chat.people.users(s)),
      allusers: (s, _r, reply) => reply(chat.people.allUsers(s)),
      whoami: (s, _r, reply) => reply(chat.people.whoami(s)),
      block: (s, r, reply) => {
        const blocked = chat.people.block(s, r);
        transfers.cutBetween(s.user!.key, foldName(blocked.name));
        reply(blocked);
      },
      unblock: (s, r, reply) => reply(chat.people.unblock(s, r)),
      blocked: (s, _r, reply) => reply(chat.people.blocked(s)),
      command: async (s, r, reply) => {
        const outcome = await this.bot.run(s, r);
        reply(outcome.reply);
        for (const action of outcome.after) action();
      },
      op: async (s, r, reply) => reply(await chat.moderation.op(s, r)),
      // End-to-end.
      e2e_say: (s, r, reply, fail) => chat.saySealed(s, r, reply, fail),
      e2e_dm: (s, r, reply, fail) => chat.dmSealed(s, r, reply, fail),
      keys: (s, r, reply) => reply(chat.people.identityKeys(s, r)),
      whois: (s, r, reply) => reply(chat.people.whois(s, r)),
      // File transfer (transfers.ts).
      file_offer: (s, r, reply) => reply(transfers.offer(s, r)),
      file_accept: (s, r, reply) => reply(transfers.accept(s, r)),
      file_decline: (s, r, reply) => reply(transfers.decline(s, r)),
      file_cancel: (s, r, reply) => reply(transfers.cancel(s, r)),
      file_done: (s, r, reply) => reply(transfers.done(s, r)),
    };
  }

  handle(session: Session, message: unknown): void {
    const envelope = requestEnvelope.safeParse(message);
    if (!envelope.success) {
      session.fail(undefined, new ParlorError('BAD_REQUEST', 'a request needs a numeric id and a type'));
      return;
    }
    const { id, type } = envelope.data;
    const fail = (error: unknown) => this.fail(session, id, error);
    if (!isRequestType(type)) return fail(new ParlorError('UNKNOWN_TYPE', `unknown request type "${type.slice(0, 64)}"`));
    const parsed = requestSchemas[type].safeParse(message);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      return fail(new ParlorError('BAD_REQUEST', `a bad ${type} request: ${detail}`));
    }
    if (!session.user && !OPEN_BEFORE_LOGIN.has(type)) return fail(new ParlorError('NOT_LOGGED_IN', `log in before ${type}`));
    const token = session.bucket.take();
    if (!token.ok) {
      if (this.isFlooding(session)) {
        // Commit what this session had accepted first: its acks then go out ahead of the closing,
        // and a message that is stored is never reported to its sender as failed.
        this.chat.flush();
        session.connection.close('RATE_LIMITED', 'disconnected for flooding: too many requests after being told to slow down');
        return;
      }
      return fail(new RetryLaterError('too many requests: slow down', token.retryAfterMs));
    }
    try {
      const handler = this.handlers[type] as Handler<RequestType>;
      const outcome = handler(session, parsed.data, (data) => session.reply(id, data), fail);
      if (outcome instanceof Promise) outcome.catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  private fail(session: Session, id: number, error: unknown): void {
    if (!(error instanceof ParlorError)) this.onInternalError(session, error);
    const reason = asParlorError(error);
    session.fail(id, reason, reason.retryAfterMs === undefined ? {} : { retryAfterMs: reason.retryAfterMs });
  }

  private isFlooding(session: Session): boolean {
    const now = Date.now();
    session.strikes.push(now);
    while (session.strikes.length > 0 && now - session.strikes[0]! > this.flood.windowMs) session.strikes.shift();
    return session.strikes.length >= this.flood.strikes;
  }
}

/**
 * A line that looks like a bot command is never relayed as chat: its text and its output are for
 * the caller and the bot alone (the original ChatRoom's rule), even from a client that forgot to
 * send it as a command. A literal leading `!` is written `!!`.
 */
function notACommand<R extends { text: string }>(request: R): R {
  if (isCommandLine(request.text)) {
    throw new ParlorError('BAD_REQUEST', COMMAND_AS_CHAT);
  }
  return request;
}
