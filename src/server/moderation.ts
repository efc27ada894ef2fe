// What operators may do: become one with the operator password (/op), and through the bot's
// commands kick, ban by key fingerprint (kept across restarts), unban and announce.

import { ParlorError } from '../protocol/errors.ts';
import type { Reply, Request } from '../protocol/messages.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import type { ChatStore } from '../store/store.ts';
import type { BanList } from './ban-list.ts';
import type { ClusterBridge } from './cluster.ts';
import { guesser, type PasswordGuard } from './password-guard.ts';
import { foldName } from './names.ts';
import { constantTimeEqual } from './passwords.ts';
import type { Presence } from './presence.ts';
import { removalWords, type RemovalNotice } from '../protocol/operator-notices.ts';
import type { ServerEvent } from './events.ts';
import type { Session } from './session.ts';

export interface ModerationSettings {
  /** For /op and !quit; never advertised. */
  operatorPassword: string;
}

export class Moderation {
  constructor(
    private readonly store: ChatStore,
    private readonly bans: BanList,
    /** Sessions online, by person: the chat's own, read here. */
    private readonly online: Presence,
    private readonly guard: PasswordGuard,
    private readonly settings: ModerationSettings,
    /** Refuses a text over the message cap (ChatService's rule, so announcements keep it too). */
    private readonly checkLength: (text: string) => void,
    private readonly report: (event: ServerEvent) => void,
    /** With a shared store: kicks, bans and announcements reach the chat's other servers too. */
    private readonly cluster?: ClusterBridge,
  ) {}

  /** `/op PASSWORD`: the session may use operator commands until it ends. */
  async op(session: Session, request: Request<'op'>): Promise<Reply<'op'>> {
    await this.checkOperatorPassword(session, request.password);
    session.operator = true;
    return { operator: true };
  }

  /** The operator password, with the slow-down for guessing of its own (password-guard.ts). */
  async checkOperatorPassword(session: Session, password: string): Promise<void> {
    if (!session.user) throw new ParlorError('NOT_LOGGED_IN');
    const right = await this.guard.attempt(guesser(session), 'operator', () => constantTimeEqual(password, this.settings.operatorPassword), () => session.isOpen);
    if (right === undefined || !session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
    if (!right) throw new ParlorError('BAD_PASSWORD', 'the operator password is wrong');
  }

  /** Disconnects every session of the user; they and their rooms are told who did it and why. */
  kick(name: string, reason: string, by: string): { name: string } {
    const sessions = [...this.online.sessionsOf(foldName(name))];
    const display = sessions[0]?.user?.name ?? this.cluster?.elsewhere(foldName(name))[0]?.name;
    if (display === undefined) throw new ParlorError('USER_NOT_FOUND', `"${name}" is not online`);
    const removal: RemovalNotice = { action: 'kicked', by, reason };
    this.cluster?.publish({ kind: 'disconnect', key: foldName(name), code: 'KICKED', reason: removalWords(display, removal), removal });
    this.remove(sessions, removal, display);
    return { name: display };
  }

  /** Bans the key that the name is bound to, and disconnects it if it is online. */
  ban(name: string, reason: string, by: string): { name: string; fingerprint: string } {
    const user = this.store.getUser(foldName(name));
    if (!user) throw new ParlorError('USER_NOT_FOUND', `no one called "${name}" has ever been here`);
    this.bans.add({ fingerprint: user.fingerprint, name: user.name, reason, bannedBy: by, at: Date.now() });
    const live = [...this.online.sessionsOf(user.key)].filter((session) => session.client.fingerprint === user.fingerprint);
    const removal: RemovalNotice = { action: 'banned', by, reason };
    // Published first, as for a kick: the others hear why before they see the person go.
    this.cluster?.publish({ kind: 'disconnect', key: user.key, fingerprint: user.fingerprint, code: 'BANNED', reason: removalWords(user.name, removal), removal });
    this.remove(live, removal, user.name);
    return { name: user.name, fingerprint: user.fingerprint };
  }

  /**
   * Closes the sessions with KICKED or BANNED and words the room's notices will carry too. The
   * close event logs each out, as for any disconnect; `removedBy` makes its `left` say why.
   */
  private remove(sessions: Session[], removal: RemovalNotice, name: string): void {
    const words = removalWords(name, removal);
    for (const session of sessions) {
      session.removedBy = removal;
      session.connection.close(removal.action === 'kicked' ? 'KICKED' : 'BANNED', words);
    }
  }

  unban(nameOrFingerprint: string): { name: string; fingerprint: string } {
    const ban = nameOrFingerprint.startsWith('SHA256:')
      ? this.bans.get(nameOrFingerprint)
      : this.bans.findByName(foldName, nameOrFingerprint) ?? this.bans.get(this.store.getUser(foldName(nameOrFingerprint))?.fingerprint ?? '');
    if (!ban) throw new ParlorError('USER_NOT_FOUND', `no ban matches "${nameOrFingerprint}"`);
    this.bans.remove(ban.fingerprint);
    return { name: ban.name, fingerprint: ban.fingerprint };
  }

  /**
   * `!release NAME`: the name is no longer reserved for the key it is bound to, so its owner can
   * come back with a new key (a lost or moved identity). Logged; the name's next login is told.
   */
  release(name: string, by: string): { name: string; fingerprint: string } {
    const user = this.store.getUser(foldName(name));
    if (!user) throw new ParlorError('USER_NOT_FOUND', `no one called "${name}" has ever been here`);
    const online = this.online.isOnline(user.key) || (this.cluster?.elsewhere(user.key).length ?? 0) > 0;
    if (online) throw new ParlorError('NAME_TAKEN', `${user.name} is online now: a name in use cannot be released`);
    this.store.putNameRelease({ key: user.key, fingerprint: user.fingerprint, releasedBy: by, at: Date.now() });
    this.report({ event: 'name_released', name: user.name, fingerprint: user.fingerprint, by });
    return { name: user.name, fingerprint: user.fingerprint };
  }

  /** An operator's notice to every session online. */
  announce(from: string, text: string): { recipients: number } {
    this.checkLength(text);
    const record = encodeJsonRecord({ type: 'announcement', from, text, ts: Date.now() });
    for (const session of this.online.allSessions()) session.sendRecord(record);
    const elsewhere = this.cluster?.remotePeople().filter((person) => !this.online.isOnline(person.key)) ?? [];
    this.cluster?.publish({ kind: 'announce', from, text, ts: Date.now() });
    return { recipients: this.online.peopleCount + new Set(elsewhere.map((person) => person.key)).size };
  }
}
