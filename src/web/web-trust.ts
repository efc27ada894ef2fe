// /trust in the web client: accepts a peer's changed key (only the one whose fingerprint the user
// read out, when given), then fetches the messages held because of it and opens them in place
// (src/shared/chat-filing.ts, as the terminal UI does). Same words as the terminal UI's.

import { refuseOtherKey } from '../shared/chat-answers.ts';
import { heldMessageIds, reopenHeld, trustedText } from '../shared/chat-filing.ts';
import type { WebChat } from './web-chat.ts';

/** /trust USER [FINGERPRINT]: with a fingerprint, only if USER presents exactly that key. */
export async function trustPeer(room: WebChat, name: string, given: string | undefined): Promise<void> {
  const { chat, model } = room;
  const who = await chat.whois(name);
  if (given !== undefined) refuseOtherKey(who.name, who.fingerprint, given);
  if (who.trust === 'you') return room.notice('that is your own key', 'info');
  if (who.trust === 'known') return room.notice(`${who.name}'s key ${who.fingerprint} is trusted already`, 'info');
  chat.acceptPeerKey(who.name, who.fingerprint);
  for (const conversation of model.list()) {
    const held = heldMessageIds(conversation, who.name);
    const opened = await reopenHeld(model, chat, conversation, held);
    if (held.length > 0) room.resend(conversation.key);
    if (held.length > 0 || conversation.key === model.active) room.notice(trustedText(who.name, who.fingerprint, held.length, opened), 'join', conversation.key);
  }
}
