// Who is online. One identity key may hold several sessions at once (a UI, a `tail`, a `send`, a
// second laptop), so the sessions are kept per person: the person counts once, online while any
// session is, and what is meant for them (a DM, an announcement, a kick) reaches every session.

import { ParlorError } from '../protocol/errors.ts';
import type { Session } from './session.ts';

const NONE: ReadonlySet<Session> = new Set();

export class Presence {
  private readonly byUser = new Map<string, Set<Session>>();

  /** People online, each counted once however many sessions they hold. */
  get peopleCount(): number {
    return this.byUser.size;
  }

  isOnline(userKey: string): boolean {
    return this.byUser.has(userKey);
  }

  /** The sessions of one person, oldest first (empty when they are offline). */
  sessionsOf(userKey: string): ReadonlySet<Session> {
    return this.byUser.get(userKey) ?? NONE;
  }

  /** Any one session of a person: what they look like (name, key) is the same in all of them. */
  anyOf(userKey: string): Session | undefined {
    return this.byUser.get(userKey)?.values().next().value;
  }

  /** One session per person online, for listing people. */
  people(): Session[] {
    return [...this.byUser.values()].map((sessions) => sessions.values().next().value!);
  }

  *allSessions(): Iterable<Session> {
    for (const sessions of this.byUser.values()) yield* sessions;
  }

  /**
   * Before a login of this person: the same key again is another session (a UI and a `tail`),
   * unless the login asks to replace the others (`replace`: they are closed and ended here) or
   * names the session it resumes after a reconnect (`resume`: one the server may not have seen
   * die yet). That one is returned, still open, for its rooms to be handed over before it is
   * closed; it does not count towards `max`. TOO_MANY_SESSIONS if the person holds `max` already.
   */
  makeRoomFor(userKey: string, login: { replace?: boolean | undefined; resume?: string | undefined }, max: number, end: (session: Session) => void): Session | undefined {
    let resumed: Session | undefined;
    for (const other of [...this.sessionsOf(userKey)]) {
      if (login.replace === true) {
        other.connection.close('SESSION_REPLACED', 'you logged in again elsewhere and asked to replace this session');
        end(other);
      } else if (login.resume !== undefined && other.token === login.resume) {
        resumed = other;
      }
    }
    const count = this.sessionsOf(userKey).size - (resumed ? 1 : 0);
    if (count >= max) {
      throw new ParlorError('TOO_MANY_SESSIONS', `this identity holds ${count} sessions already (the most this server allows): close one, or log in with --replace`);
    }
    return resumed;
  }

  /** A session has logged in; true when it is its person's first. */
  add(session: Session): boolean {
    const key = session.user!.key;
    let sessions = this.byUser.get(key);
    const first = sessions === undefined;
    if (!sessions) this.byUser.set(key, (sessions = new Set()));
    sessions.add(session);
    return first;
  }

  /** A session has ended; true when it was its person's last (they are offline now). */
  remove(session: Session): boolean {
    const key = session.user?.key;
    const sessions = key === undefined ? undefined : this.byUser.get(key);
    if (!sessions?.delete(session)) return false;
    if (sessions.size > 0) return false;
    this.byUser.delete(key!);
    return true;
  }
}
