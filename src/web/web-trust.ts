// /trust in the web client: accepts a peer's changed key (only the one whose fingerprint the user
// read out, when given), then fetches the messages held because of it and opens them in place.
// Same words as the terminal UI's.

import { foldName } from '../protocol/names.ts';
import { refuseOtherKey } from '../shared/chat-answers.ts';
import type { WebChat } from './web-chat.ts';

/** /trust USER [FINGERPRINT]: with a fingerprint, only if USER presents exactly that key. */
export async function trustPeer(room: WebChat, name: string, given: string | undefined): Promise<void> {
  const { chat } = room;
  const who = await chat.whois(name);
  if (given !== undefined) refuseOtherKey(who.name, who.fingerprint, given);
  if (who.trust === 'you') return room.notice('that is your own key', 'info');
  if (who.trust === 'known') return room.notice(`${who.name}'s key ${who.fingerprint} is trusted already`, 'info');
  chat.acceptPeerKey(who.name, who.fingerprint);
  const folded = foldName(who.name);
  for (const conversation of room.conversations.values()) {
    const held = conversation.entries.flatMap((e) => (e.kind === 'message' && e.code === 'E2E_PEER_KEY_CHANGED' && foldName(e.from) === folded ? [e.id] : []));
    let opened = 0;
    if (held.length > 0) {
      const newest = Math.max(...held);
      const reply = await chat.history({ ...(conversation.kind === 'room' ? { room: conversation.name } : { with: conversation.name }), before: newest + 1, limit: Math.min(500, newest - Math.min(...held) + 1) });
      for (const message of reply.messages) {
        const at = conversation.entries.findIndex((e) => e.kind === 'message' && e.id === message.id);
        if (!held.includes(message.id) || at < 0 || message.e2e?.state === 'rejected') continue;
        conversation.entries[at] = room.messageEntry(message, false, false);
        opened++;
      }
      room.session.broadcast({ type: 'entries', key: conversation.key, entries: conversation.entries, mode: 'reset' });
    }
    if (held.length > 0 || conversation.key === room.active) {
      const heldText = held.length === 0 ? '' : `\n${opened} of ${held.length} held message${held.length === 1 ? '' : 's'} opened`;
      room.notice(`you now trust ${who.name}'s key ${who.fingerprint}${heldText}`, 'join', conversation.key);
    }
  }
}
