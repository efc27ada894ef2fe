// Who is who: the users online and ever seen, one's own account, blocks, and the identity keys that
// end-to-end encryption seals to (keys.ts keeps them).

import { ParlorError } from '../protocol/errors.ts';
import type { PeerKey, Reply, Request } from '../protocol/messages.ts';
import type { ChatStore } from '../store/store.ts';
import type { BlockList } from './block-list.ts';
import type { ClusterBridge } from './cluster.ts';
import { KeyDirectory } from './keys.ts';
import { foldName } from './names.ts';
import type { Presence } from './presence.ts';
import { peopleIn, type RoomDirectory } from './room-directory.ts';
import type { Session } from './session.ts';

export class People {
  constructor(
    private readonly store: ChatStore,
    /** Sessions online, by person: the chat's own, read here. */
    private readonly online: Presence,
    private readonly rooms: RoomDirectory,
    private readonly blocks: BlockList,
    private readonly keys: KeyDirectory,
    /** With a shared store: the people on the chat's other servers. */
    private readonly cluster?: ClusterBridge,
  ) {}

  users(session: Session): Reply<'users'> {
    const reader = session.requireUser().key;
    return {
      // A person once, with the rooms of all their sessions; a secret room only to its own members.
      users: [
        ...this.online.people().map((member) => ({
          name: member.user!.name,
          lastMessageAt: this.store.getUser(member.user!.key)?.lastMessageAt ?? null,
          rooms: [...new Set([...this.online.sessionsOf(member.user!.key)].flatMap((s) => [...s.rooms]))]
            .filter((key) => this.rooms.isVisibleTo(reader, key))
            .map((key) => this.rooms.nameOf(key)),
          ...(this.cluster && { server: this.cluster.serverName }),
        })),
        // On another server of the chat (once per server they are on).
        ...(this.cluster?.remotePeople() ?? []).map((person) => ({
          name: person.name,
          lastMessageAt: this.store.getUser(person.key)?.lastMessageAt ?? null,
          rooms: person.rooms.filter((key) => this.rooms.isVisibleTo(reader, key)).map((key) => this.rooms.nameOf(key)),
          server: person.server,
        })),
      ],
    };
  }

  allUsers(session: Session): Reply<'allusers'> {
    session.requireUser();
    return {
      users: this.store.listUsers().map((user) => ({
        name: user.name,
        lastSeen: this.isOnline(user.key) ? Date.now() : user.lastSeen,
        lastMessageAt: user.lastMessageAt,
        online: this.isOnline(user.key),
      })),
    };
  }

  /** Online here, or on another server of the chat. */
  isOnline(key: string): boolean {
    return this.online.isOnline(key) || (this.cluster?.elsewhere(key).length ?? 0) > 0;
  }

  whoami(session: Session): Reply<'whoami'> {
    const user = session.requireUser();
    return {
      name: user.name,
      fingerprint: session.client.fingerprint,
      rooms: [...session.rooms].map((key) => this.rooms.nameOf(key)),
      address: session.remote,
    };
  }

  block(session: Session, request: Request<'block'>): Reply<'block'> {
    const user = session.requireUser();
    const target = this.store.getUser(foldName(request.name));
    if (!target) throw new ParlorError('USER_NOT_FOUND', `no one called "${request.name}" has ever been here`);
    if (target.key === user.key) throw new ParlorError('BAD_REQUEST', 'you cannot block yourself');
    this.blocks.block(user.key, target.key);
    return { name: target.name };
  }

  unblock(session: Session, request: Request<'unblock'>): Reply<'unblock'> {
    const user = session.requireUser();
    const key = foldName(request.name);
    this.blocks.unblock(user.key, key);
    return { name: this.store.getUser(key)?.name ?? request.name };
  }

  blocked(session: Session): Reply<'blocked'> {
    const user = session.requireUser();
    return { names: this.blocks.blockedBy(user.key).map((key) => this.store.getUser(key)?.name ?? key) };
  }

  /** Keys of the named users (those the server has a key for), or of a room's members. */
  identityKeys(session: Session, request: Request<'keys'>): Reply<'keys'> {
    session.requireUser();
    const keys: PeerKey[] = [];
    if (request.room !== undefined) {
      const room = this.rooms.of(session, request.room);
      for (const member of peopleIn(room)) keys.push(KeyDirectory.ofClient(member.user!.name, member.client));
      keys.push(...(this.cluster?.remoteKeysIn(room) ?? []));
    }
    for (const name of request.names ?? []) {
      const live = this.online.anyOf(foldName(name));
      const user = live ? undefined : this.store.getUser(foldName(name));
      const key = live ? KeyDirectory.ofClient(live.user!.name, live.client) : user && this.keys.ofUser(user);
      if (key) keys.push(key);
    }
    return { keys };
  }

  whois(session: Session, request: Request<'whois'>): Reply<'whois'> {
    session.requireUser();
    const key = foldName(request.name);
    const user = this.store.getUser(key);
    const found = user && this.keys.ofUser(user);
    if (!user || !found) throw new ParlorError('USER_NOT_FOUND', `the server has no key for "${request.name}"`);
    const online = this.isOnline(key);
    return { ...found, online, lastSeen: online ? Date.now() : user.lastSeen };
  }
}
