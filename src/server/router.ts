// Turns requests into calls on the chat service. Each request is validated against its schema
// first; a bad one gets an error reply with a stable code and the connection stays up. Before
// login only ping and login are allowed; every request, valid or not, spends a token of its
// identity's budget first (rate-budget.ts), and a session that keeps hitting the limit is
// disconnected.

import { asParlorError, ParlorError } from '../protocol/errors.ts';
import { isRequestType, requestEnvelope, requestSchemas, type Request, type RequestType } from '../protocol/messages.ts';
import { COMMAND_AS_CHAT, isCommandLine, unescapeChatLine } from '../protocol/command-line.ts';
import type { Bot } from './bot.ts';
import type { ChatService } from './chat.ts';
import { RetryLaterError } from './limits.ts';
import type { RateBudgets } from './rate-budget.ts';
import { foldName } from './names.ts';
import type { Session } from './session.ts';
import type { TransferService } from './transfers.ts';

type Handler<T extends RequestType> = (session: Session, request: Request<T>, reply: (data: unknown) => void, fail: (error: unknown) => void) => unknown;

const OPEN_BEFORE_LOGIN: ReadonlySet<RequestType> = new Set(['ping', 'login']);

export class Router {
  private readonly handlers: { [T in RequestType]: Handler<T> };

  constructor(
    private readonly chat: ChatService,
    private readonly bot: Bot,
    private readonly budgets: RateBudgets,
    private readonly onLogin: (session: Session) => void,
    private readonly onInternalError: (session: Session, error: unknown) => void,
    transfers: TransferService,
  ) {
    this.handlers = {
      ping: (_s, r, reply) => reply(r.payload === undefined ? {} : { payload: r.payload }),
      login: async (s, r, reply) => {
        reply(await chat.logins.login(s, r));
        // The reply may have closed the connection (it could not be sent): then there is no login.
        if (s.isOpen && s.user) this.onLogin(s);
      },
      join: async (s, r, reply) => reply(await chat.roomRequests.join(s, r)),
      create: async (s, r, reply) => reply(await chat.roomRequests.create(s, r)),
      leave: (s, r, reply) => reply(chat.roomRequests.leave(s, r)),
      rooms: (s, _r, reply) => reply(chat.roomRequests.list(s)),
      members: (s, r, reply) => reply(chat.roomRequests.members(s, r)),
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
    // Spent before anything else, so that a malformed request costs the sender as a good one does.
    const spent = this.budgets.spend(session.client.fingerprint, session.address, `${session.id}:${session.connection.framesReceived}`);
    const id = (message as { id?: unknown } | null)?.id;
    const knownId = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
    if (!spent.ok) {
      if (spent.flooding) {
        // Commit what this session had accepted first: its acks then go out ahead of the closing,
        // and a message that is stored is never reported to its sender as failed.
        this.chat.flush();
        session.connection.close('RATE_LIMITED', 'disconnected for flooding: too many requests sent before the wait they were told');
        return;
      }
      const refusal = new RetryLaterError('too many requests: slow down', spent.retryAfterMs);
      session.fail(knownId, refusal, { retryAfterMs: spent.retryAfterMs });
      return;
    }
    const envelope = requestEnvelope.safeParse(message);
    if (!envelope.success) {
      session.fail(undefined, new ParlorError('BAD_REQUEST', 'a request needs a numeric id and a type'));
      return;
    }
    const { type } = envelope.data;
    const fail = (error: unknown) => this.fail(session, envelope.data.id, error);
    if (!isRequestType(type)) return fail(new ParlorError('UNKNOWN_TYPE', `unknown request type "${type.slice(0, 64)}"`));
    const parsed = requestSchemas[type].safeParse(message);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      return fail(new ParlorError('BAD_REQUEST', `a bad ${type} request: ${detail}`));
    }
    if (!session.user && !OPEN_BEFORE_LOGIN.has(type)) return fail(new ParlorError('NOT_LOGGED_IN', `log in before ${type}`));
    try {
      const handler = this.handlers[type] as Handler<RequestType>;
      const reply = (data: unknown) => {
        // Joined and left notices that may wait (room-notices.ts) still reach it before the reply.
        this.chat.beforeReply(session);
        session.reply(envelope.data.id, data);
      };
      const outcome = handler(session, parsed.data, reply, fail);
      if (outcome instanceof Promise) outcome.catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  private fail(session: Session, id: number, error: unknown): void {
    if (!(error instanceof ParlorError)) this.onInternalError(session, error);
    this.chat.beforeReply(session);
    const reason = asParlorError(error);
    session.fail(id, reason, reason.retryAfterMs === undefined ? {} : { retryAfterMs: reason.retryAfterMs });
  }
}

/**
 * A line that looks like a bot command is never relayed as chat: its text and its output are for
 * the caller and the bot alone (the original ChatRoom's rule), even from a client that forgot to
 * send it as a command. A literal leading `!` is written `!!`, and stored without the escape.
 */
function notACommand<R extends { text: string }>(request: R): R {
  if (isCommandLine(request.text)) {
    throw new ParlorError('BAD_REQUEST', COMMAND_AS_CHAT);
  }
  return { ...request, text: unescapeChatLine(request.text) };
}
