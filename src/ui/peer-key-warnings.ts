// A peer's changed identity key in the chat room: the loud warning in each conversation it
// concerns, shown once there, kept until the user decides; and /trust answering it, with the
// messages held because of the change fetched again and opened in their place.

import type { ChatClient } from '../client/chat-client.ts';
import type { PeerKeyChange } from '../client/e2e/peer-keys.ts';
import { foldName } from '../protocol/names.ts';
import type { ChatPanes } from './chat-panes.ts';
import { peerKeyChangedWarning } from './chat-view.ts';
import { heldMessageIds, reopenHeld, trustedText } from '../shared/chat-filing.ts';
import type { ConversationList } from '../shared/conversations.ts';

/** What the warnings need of the chat room: its conversations, the history, the bell, a redraw. */
export interface KeyWarningsHost {
  readonly model: ConversationList;
  readonly chat: Pick<ChatClient, 'history'>;
  readonly panes: Pick<ChatPanes, 'follow'>;
  ring(always: boolean): void;
  render(): void;
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
    this.room.ring(true);
    this.room.render();
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
   * The user trusts `name`'s key now (/trust): the warnings are answered where they were shown,
   * and messages held because of the change are fetched again, opened, and put in their place.
   */
  async trusted(name: string, fingerprint: string): Promise<void> {
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
    this.room.panes.follow = true;
    this.room.render();
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
