// Logging in and out: the join password, bans, names bound to identity keys (name-binding.ts) and
// look-alike names, one person's several sessions (presence.ts) and a reconnect's resume, and
// the direct messages a login brings. A session ends by leaving its rooms (telling their members)
// and going offline.

import { randomBytes } from 'node:crypto';
import { ParlorError } from '../protocol/errors.ts';
import type { Reply, Request } from '../protocol/messages.ts';
import type { ChatStore } from '../store/store.ts';
import type { BanList } from './ban-list.ts';
import type { ClusterBridge } from './cluster.ts';
import type { HistoryReader } from './history-reader.ts';
import type { KeyDirectory } from './keys.ts';
import type { LookAlikeGuard } from './look-alikes.ts';
import { claimName } from './name-binding.ts';
import { checkUserName } from './names.ts';
import { guesser, guessingAddress, type PasswordGuard } from './password-guard.ts';
import { constantTimeEqual } from './passwords.ts';
import type { Presence } from './presence.ts';
import type { RoomDirectory } from './room-directory.ts';
import type { Session } from './session.ts';

export interface LoginSettings {
  joinPassword: string;
  nameReservationMs: number;
  /** Sessions one identity may hold at once; the next login is TOO_MANY_SESSIONS (or replaces them, if asked). */
  maxSessionsPerIdentity: number;
  historyLimit: number;
  /** Bytes of messages in the login reply's direct messages. */
  historyPageBytes: number;
}

/** The parts of the chat a login reads and changes. */
export interface LoginParts {
  store: ChatStore;
  online: Presence;
  rooms: RoomDirectory;
  reader: HistoryReader;
  bans: BanList;
  guard: PasswordGuard;
  keys: KeyDirectory;
  lookAlikes: LookAlikeGuard;
  cluster: ClusterBridge | undefined;
}

export class Logins {
  constructor(
    private readonly parts: LoginParts,
    private readonly settings: LoginSettings,
  ) {}

  /**
   * The join password alone, with the same slow-down as a login's (it counts toward the same
   * budgets): for the SSH front door, which checks it before it makes a visitor's identity, so that
   * a wrong password costs no RSA key generation and writes nothing to disk.
   */
  async checkJoinPassword(who: { address: string; identity: string }, password: string): Promise<boolean> {
    const right = await this.parts.guard.attempt({ address: guessingAddress(who.address), identity: who.identity }, 'join', () => constantTimeEqual(password, this.settings.joinPassword));
    return right === true;
  }

  async login(session: Session, request: Request<'login'>): Promise<Reply<'login'>> {
    const { store, online, rooms, reader, bans, guard, keys, lookAlikes, cluster } = this.parts;
    if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    const { display, key } = checkUserName(request.name);
    const right = await guard.attempt(guesser(session), 'join', () => constantTimeEqual(request.password, this.settings.joinPassword), () => session.isOpen);
    if (right === undefined || !session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
    if (!right) throw new ParlorError('BAD_PASSWORD', 'the join password is wrong');
    if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    const now = Date.now();
    const fingerprint = session.client.fingerprint;
    const ban = bans.get(fingerprint);
    if (ban) throw new ParlorError('BANNED', `this identity key was banned from the server by ${ban.bannedBy}${ban.reason === '' ? '' : `: ${ban.reason}`}`);
    const live = online.anyOf(key);
    if (live && live.client.fingerprint !== fingerprint) throw new ParlorError('NAME_TAKEN', `"${live.user!.name}" is online now`);
    const elsewhere = cluster?.elsewhere(key).find((person) => person.fingerprint !== fingerprint);
    if (elsewhere) throw new ParlorError('NAME_TAKEN', `"${elsewhere.name}" is online now, on server ${elsewhere.server}`);
    const { existing, release } = claimName(store, key, fingerprint, this.settings.nameReservationMs, now);
    lookAlikes.checkUser(key, display, fingerprint, now);
    if (store.bindName && existing?.fingerprint !== fingerprint) {
      // A shared store: another server may be binding the same name this instant. One wins.
      const bound = await store.bindName({ key, name: display, fingerprint, lastSeen: now, lastMessageAt: null }, existing?.fingerprint);
      if (!bound) throw new ParlorError('NAME_TAKEN', `"${display}" was just taken by another identity key, on another server of the chat`);
      if (!session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
      if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    }
    const resumed = online.makeRoomFor(key, request, this.settings.maxSessionsPerIdentity, (other) => this.logout(other));
    const name = existing && existing.fingerprint === fingerprint ? existing.name : display;
    store.putUser({ key, name, fingerprint, lastSeen: now, lastMessageAt: existing?.fingerprint === fingerprint ? existing.lastMessageAt : null });
    lookAlikes.userNamed(key, name);
    // Told once, to the name's next login (whichever key it comes with), then forgotten.
    if (release) store.deleteNameRelease(key);
    keys.remember(session.client, session.via === 'ssh');
    if (session.via === 'ssh' && store.writesSettled) {
      // A shared store: the other servers hear that this key is held over ssh (and whose it is)
      // before anything is said with it, so that they mark it as not end-to-end too.
      await store.writesSettled();
      if (!session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
    }
    session.user = { key, name };
    session.token = newSessionToken();
    online.add(session);
    if (resumed) {
      // The reconnect takes the old session's place in its rooms, so the rooms see nobody leave
      // and come back; then the old one goes (its close logs it out, with no rooms left to leave).
      rooms.handOver(resumed, session);
      resumed.connection.close('SESSION_REPLACED', 'this session reconnected on a new connection');
      this.logout(resumed);
    }
    // A reconnect whose old session is on another server of the chat: that server replaces it.
    if (!resumed && request.resume !== undefined) cluster?.resumeElsewhere(key, name, fingerprint, request.resume);
    cluster?.localChanged(key);
    reader.rememberName(key, name);
    let direct;
    try {
      direct = await reader.directPage(key, { after: request.directSince, before: reader.firstLiveId(), limit: this.settings.historyLimit, maxBytes: this.settings.historyPageBytes });
    } catch (error) {
      // Not logged in without the history it asked for (a shared store that cannot be read now).
      this.logout(session);
      throw error;
    }
    return {
      name,
      fingerprint,
      direct: direct.messages,
      directMore: direct.more,
      session: session.token,
      ...(release && { released: { by: release.releasedBy, at: release.at } }),
    };
  }

  /** A session ends: it leaves its rooms (telling their members) and goes offline. */
  logout(session: Session): void {
    const user = session.user;
    if (!user) return;
    for (const roomKey of [...session.rooms]) this.parts.rooms.remove(session, roomKey, 'disconnected');
    this.parts.online.remove(session);
    this.parts.cluster?.localChanged(user.key);
    // A guest of the SSH front door holds its name only while online.
    this.parts.store.touchUser(user.key, session.guest ? 0 : Date.now());
    session.user = undefined;
  }
}

/** A session's own name for itself, given at login: a reconnect names it to replace it (`resume`). */
function newSessionToken(): string {
  return randomBytes(16).toString('base64url');
}
