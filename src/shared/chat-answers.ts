// The /commands that only ask the server and show its answer, as both UIs say them: /rooms,
// /members, /users, /allusers, /name, /block, /unblock, /blocked, /whois, /op. Each UI files the
// text in its conversation on screen; names and rooms seen go to its completion lists.

import type { ChatClient } from '../client/chat-client.ts';
import { ParlorError } from '../protocol/errors.ts';
import { lastSpoke, WHOIS_TRUST_TEXT } from './notices.ts';
import type { ChatAction } from './slash-commands.ts';

export interface ChatAnswer {
  text: string;
  tone: 'info' | 'error' | 'warning';
}

export interface AnswerContext {
  /** The conversation on screen, for /members without a room. */
  current: { kind: 'room' | 'dm' | 'status'; name: string } | undefined;
  knownUsers: Set<string>;
  knownRooms: Set<string>;
}

/** The answer to `action`, or undefined when it is not one of these commands. */
export async function answerFromServer(chat: ChatClient, action: ChatAction, context: AnswerContext): Promise<ChatAnswer | undefined> {
  const info = (text: string): ChatAnswer => ({ text, tone: 'info' });
  switch (action.kind) {
    case 'rooms': {
      const { rooms } = await chat.listRooms();
      for (const r of rooms) context.knownRooms.add(r.name);
      return info(['Rooms:', ...rooms.map((r) => `  #${r.name}  ${r.members} here${r.hasPassword ? '  (password)' : ''}${r.secret ? '  (secret: end-to-end)' : ''}`)].join('\n'));
    }
    case 'members': {
      const name = action.room ?? (context.current?.kind === 'room' ? context.current.name : undefined);
      if (name === undefined) return { text: 'which room? /members ROOM', tone: 'error' };
      const reply = await chat.members(name);
      return info([`Members of #${reply.room}:`, ...reply.members.map((m) => `  ${m.name} · said ${lastSpoke(m.lastMessageAt)}`)].join('\n'));
    }
    case 'users': {
      const { users } = await chat.users();
      for (const u of users) context.knownUsers.add(u.name);
      return info([`Online (${users.length}):`, ...users.map((u) => `  ${u.name} · said ${lastSpoke(u.lastMessageAt)} · ${u.rooms.map((r) => '#' + r).join(' ') || 'no rooms'}`)].join('\n'));
    }
    case 'allusers': {
      const { users } = await chat.allUsers();
      return info([`Everyone (${users.length}):`, ...users.map((u) => `  ${u.name} · ${u.online ? 'online' : `seen ${lastSpoke(u.lastSeen)}`} · said ${lastSpoke(u.lastMessageAt)}`)].join('\n'));
    }
    case 'name': {
      const me = await chat.whoami();
      return info(`You are ${me.name} (key ${me.fingerprint}), from ${me.address}`);
    }
    case 'block':
      return info(`blocked ${(await chat.block(action.name)).name}: no messages either way`);
    case 'unblock':
      return info(`unblocked ${(await chat.unblock(action.name)).name}`);
    case 'blocked': {
      const { names } = await chat.blocked();
      return info(names.length === 0 ? 'You block no one.' : `You block: ${names.join(', ')}`);
    }
    case 'whois': {
      const who = await chat.whois(action.name);
      context.knownUsers.add(who.name);
      const seen = who.online ? 'online now' : `last seen ${lastSpoke(who.lastSeen)}`;
      return { text: [`${who.name} · ${seen}`, `key ${who.fingerprint}`, WHOIS_TRUST_TEXT[who.trust](who.name)].join('\n'), tone: who.trust === 'changed' ? 'warning' : 'info' };
    }
    case 'op':
      await chat.op(action.password);
      return info('you are operator for this session: !help shows the operator commands');
    default:
      return undefined;
  }
}

/** /trust USER FINGERPRINT when USER presents another key: someone may be in the middle. */
export function refuseOtherKey(name: string, presented: string, given: string): void {
  if (presented === given) return;
  throw new ParlorError(
    'FINGERPRINT_MISMATCH',
    `not trusted: ${name} presents the key ${presented}, not ${given}. Compare again with ${name}, in person or on a channel you trust`,
  );
}
