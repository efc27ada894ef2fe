// The web client's commands about rooms and people: /rooms, /members, /users, /allusers, /name,
// /block, /unblock, /blocked, /op, and /trust, which answers a peer's changed key and opens the
// messages held because of it. Same words as the terminal UI's answers.

import { foldName } from '../protocol/names.ts';
import { ParlorError } from '../protocol/errors.ts';
import { stamp } from '../shared/export.ts';
import type { ChatAction } from '../shared/slash-commands.ts';
import type { WebChat } from './web-chat.ts';

const said = (ts: number | null) => (ts === null ? '–' : stamp(ts).slice(5, 16));

export async function runWebPeopleAction(room: WebChat, action: ChatAction): Promise<void> {
  const { chat } = room;
  const current = room.current();
  switch (action.kind) {
    case 'rooms': {
      const { rooms } = await chat.listRooms();
      for (const r of rooms) room.knownRooms.add(r.name);
      return room.notice(['Rooms:', ...rooms.map((r) => `  #${r.name}  ${r.members} here${r.hasPassword ? '  (password)' : ''}${r.secret ? '  (secret: end-to-end)' : ''}`)].join('\n'));
    }
    case 'members': {
      const name = action.room ?? (current?.kind === 'room' ? current.name : undefined);
      if (name === undefined) return room.notice('which room? /members ROOM', 'error');
      const reply = await chat.members(name);
      return room.notice([`Members of #${reply.room}:`, ...reply.members.map((m) => `  ${m.name} · said ${said(m.lastMessageAt)}`)].join('\n'));
    }
    case 'users': {
      const { users } = await chat.users();
      for (const u of users) room.knownUsers.add(u.name);
      return room.notice([`Online (${users.length}):`, ...users.map((u) => `  ${u.name} · said ${said(u.lastMessageAt)} · ${u.rooms.map((r) => '#' + r).join(' ') || 'no rooms'}`)].join('\n'));
    }
    case 'allusers': {
      const { users } = await chat.allUsers();
      return room.notice([`Everyone (${users.length}):`, ...users.map((u) => `  ${u.name} · ${u.online ? 'online' : `seen ${said(u.lastSeen)}`} · said ${said(u.lastMessageAt)}`)].join('\n'));
    }
    case 'name': {
      const me = await chat.whoami();
      return room.notice(`You are ${me.name} (key ${me.fingerprint}), from ${me.address}`);
    }
    case 'block':
      return room.notice(`blocked ${(await chat.block(action.name)).name}: no messages either way`);
    case 'unblock':
      return room.notice(`unblocked ${(await chat.unblock(action.name)).name}`);
    case 'blocked': {
      const { names } = await chat.blocked();
      return room.notice(names.length === 0 ? 'You block no one.' : `You block: ${names.join(', ')}`);
    }
    case 'op':
      await chat.op(action.password);
      return room.notice('you are operator for this session: !help shows the operator commands');
    case 'trust':
      return trust(room, action.name, action.fingerprint);
    default:
      return;
  }
}

/** /trust USER [FINGERPRINT]: with a fingerprint, only if USER presents exactly that key. */
async function trust(room: WebChat, name: string, given: string | undefined): Promise<void> {
  const { chat } = room;
  const who = await chat.whois(name);
  if (given !== undefined && who.fingerprint !== given) {
    throw new ParlorError('FINGERPRINT_MISMATCH', `not trusted: ${who.name} presents the key ${who.fingerprint}, not ${given}. Compare again with ${who.name}, in person or on a channel you trust`);
  }
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
