// A peer's changed identity key in the chat room, in either UI: the loud warning in each
// conversation it concerns, shown once there, kept until the user decides; and /trust answering
// it, with the messages held because of the change fetched again and opened in their place.

import type { ChatClient } from '../client/chat-client.ts';
import type { PeerKeyChange } from '../client/e2e/peer-keys.ts';
import { foldName } from '../protocol/names.ts';
import { refuseOtherKey } from './chat-answers.ts';
import { heldMessageIds, reopenHeld, trustedText } from './chat-filing.ts';
import type { ConversationList } from './conversations.ts';
import { peerKeyChangedWarning } from './notices.ts';

/** What the warnings need of the chat room: its conversations, the peers' keys, the alarm, a redraw. */
export interface KeyWarningsHost {
  readonly model: ConversationList;
  readonly chat: Pick<ChatClient, 'history' | 'whois' | 'acceptPeerKey'>;
  /** Heard whatever /bell says (the terminal's bell, the page's notification). */
  keyChangeAlarm(change: PeerKeyChange): void;
  /** The conversations changed; `follow`: the one on screen shows its end. */
  keyWarningsShown(follow: boolean): void;
}

export class PeerKeyWarnings {
  /** Peers whose key changed and who are not trusted again yet, by folded name. */
  private readonly keyChanges = new Map<string, PeerKeyChange>();
  /** Which panes already show which key change ("conversation key|name|fingerprint"). */
  private readonly warned = new Set<string>();

  constructor(private readonly room: KeyWarningsHost) {}

  /**
   * A peer's key changed: the loud warning goes to the conversations it concerns (the direct one
   * with them, secret rooms they are in), or to the one on screen when there is none.
   */
  changed(change: PeerKeyChange): void {
    const { model } = this.room;
    this.keyChanges.set(foldName(change.name), change);
    const name = foldName(change.name);
    const concerned = model.list().filter((c) => (c.kind === 'dm' ? foldName(c.name) === name : c.secret && c.members.has(name)));
    const keys = concerned.length > 0 ? concerned.map((c) => c.key) : [model.active].filter((k) => k !== undefined);
    for (const key of keys) this.warnIn(key, change);
    this.room.keyChangeAlarm(change);
    this.room.keyWarningsShown(false);
  }

  /** A secret room just joined: the changes still undecided of its members are shown in it. */
  showIn(key: string): void {
    for (const change of this.keyChanges.values()) this.warnIn(key, change);
  }

  /** The key change waiting for the user's decision on `name`, if any. */
  pendingFor(name: string): PeerKeyChange | undefined {
    return this.keyChanges.get(foldName(name));
  }

  /**
   * /trust USER [FINGERPRINT]: the key that changed (with a fingerprint, only if it is that one),
   * or the one the server gives now when nothing is held. Returns the answer when there was
   * nothing to trust.
   */
  async trust(name: string, given: string | undefined): Promise<string | undefined> {
    const { chat } = this.room;
    let fingerprint = this.pendingFor(name)?.presented;
    // With the fingerprint that USER read out: nothing is trusted unless the key presented is that one.
    if (fingerprint !== undefined && given !== undefined) {
      refuseOtherKey(name, fingerprint, given);
      chat.acceptPeerKey(name, fingerprint);
    } else if (!chat.acceptPeerKey(name)) {
      // Nothing held yet (no message or join ran into it): trust what the server gives now.
      const who = await chat.whois(name);
      if (given !== undefined) refuseOtherKey(who.name, who.fingerprint, given);
      if (who.trust === 'you') return 'that is your own key';
      if (who.trust === 'known') return `${who.name}'s key ${who.fingerprint} is trusted already`;
      chat.acceptPeerKey(who.name, who.fingerprint);
      fingerprint = who.fingerprint;
    }
    await this.trusted(name, fingerprint ?? '?');
    return undefined;
  }

  /**
   * The user trusts `name`'s key now (/trust): the warnings are answered where they were shown,
   * and messages held because of the change are fetched again, opened, and put in their place.
   */
  private async trusted(name: string, fingerprint: string): Promise<void> {
    const { model, chat } = this.room;
    const folded = foldName(name);
    this.keyChanges.delete(folded);
    for (const conversation of model.list()) {
      const held = heldMessageIds(conversation, name);
      const warnedHere = [...this.warned].some((mark) => mark.startsWith(`${conversation.key}|${folded}|`));
      if (held.length === 0 && !warnedHere && conversation.key !== model.active) continue;
      for (const mark of [...this.warned]) if (mark.startsWith(`${conversation.key}|${folded}|`)) this.warned.delete(mark);
      let opened = 0;
      try {
        opened = await reopenHeld(model, chat, conversation, held);
      } catch (error) {
        model.notice(conversation.key, `could not fetch the held messages again: ${(error as Error).message}`, 'error');
      }
      model.notice(conversation.key, trustedText(name, fingerprint, held.length, opened), 'join');
    }
    this.room.keyWarningsShown(true);
  }

  private warnIn(key: string, change: PeerKeyChange): void {
    const { model } = this.room;
    const conversation = model.get(key);
    const name = foldName(change.name);
    if (!conversation || (conversation.kind === 'room' && !conversation.members.has(name))) return;
    const mark = `${key}|${name}|${change.presented}`;
    if (this.warned.has(mark)) return;
    this.warned.add(mark);
    model.notice(key, peerKeyChangedWarning(change), 'alarm');
  }
}
