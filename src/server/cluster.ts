// This server's side of a chat spread over several servers (a shared store's ClusterLink): it
// publishes who is online here and in which rooms, tells this server's room members when someone
// on another server joins or leaves their room, answers "who is online, where" for /users and
// /members, and carries notices (announcements, kicks and bans, a server stopping) both ways.

import type { PeerKey } from '../protocol/messages.ts';
import type { ClusterLink, ClusterNotice, RemotePerson } from '../store/cluster-link.ts';
import type { RemovalNotice } from '../protocol/operator-notices.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import type { Presence } from './presence.ts';
import type { LiveRoom, RoomDirectory } from './room-directory.ts';

/**
 * How long a kick or ban heard from another server waits for that person's departure there (its
 * presence row goes after the notice, on the same connection, so it is normally at once).
 */
const REMOVAL_WAIT_MS = 30_000;
/** How long a person moving between servers (`resume`) has to turn up in their rooms again before the rooms are told they left. */
const MOVE_WAIT_MS = 30_000;

export class ClusterBridge {
  /** Kicks and bans made on other servers, by user key: their departure is said with who and why. */
  private readonly removals = new Map<string, { fingerprint: string | undefined; removal: RemovalNotice }>();
  /** People moving between servers (a `resume` on another one), by user key: the rooms whose notices wait. */
  private readonly moving = new Map<string, { name: string; rooms: Set<string>; timer: NodeJS.Timeout }>();

  constructor(
    private readonly link: ClusterLink,
    /** This server's name, as the others' /users shows it. */
    readonly serverName: string,
    private readonly online: Presence,
    private readonly rooms: RoomDirectory,
    /** A person's identity key as the store has it (for sealing to members on other servers). */
    private readonly keyOf: (person: RemotePerson) => PeerKey | undefined,
  ) {
    link.onPresence((before, after) => this.remoteChanged(before, after));
    link.onNotice((notice) => this.noticed(notice));
    rooms.moves = {
      arrives: (key, roomKey) => this.moving.get(key)?.rooms.delete(roomKey) === true,
      departs: (key, name, roomKey) => this.expectMove(key, name, [roomKey]),
    };
  }

  /**
   * A login here named a session of another server (`resume`): that server closes it, and the
   * person's rooms there and here see neither a departure nor an arrival. The rooms they were in
   * there wait here for them to come back in (their reconnect joins them again).
   */
  resumeElsewhere(key: string, name: string, fingerprint: string, token: string): void {
    const there = this.link.remotePeople().filter((person) => person.key === key && person.fingerprint === fingerprint);
    if (there.length === 0) return;
    this.expectMove(key, name, there.flatMap((person) => person.rooms));
    this.link.publish({ kind: 'resumed', key, fingerprint, token, server: this.serverName });
  }

  private expectMove(key: string, name: string, roomKeys: Iterable<string>): void {
    const entry = this.moving.get(key);
    if (entry) clearTimeout(entry.timer);
    const rooms = entry?.rooms ?? new Set<string>();
    for (const roomKey of roomKeys) rooms.add(roomKey);
    // Not back in a room by then: its members are told they left, as for any disconnect.
    const timer = setTimeout(() => {
      this.moving.delete(key);
      for (const roomKey of rooms) if (!this.inRoomAnywhere(key, roomKey)) this.tellRoom(roomKey, { key }, { type: 'left', name, reason: 'disconnected' });
    }, MOVE_WAIT_MS);
    timer.unref();
    this.moving.set(key, { name, rooms, timer });
  }

  private inRoomAnywhere(key: string, roomKey: string): boolean {
    if (this.rooms.get(roomKey)?.people.has(key)) return true;
    return this.link.remotePeople().some((person) => person.key === key && person.rooms.includes(roomKey));
  }

  /** A person's sessions here changed (login, logout, join, leave): the others learn it. */
  localChanged(key: string): void {
    const sessions = [...this.online.sessionsOf(key)];
    const first = sessions[0];
    if (!first?.user) return this.link.publishPresence(key, undefined);
    const rooms = [...new Set(sessions.flatMap((session) => [...session.rooms]))];
    this.link.publishPresence(key, { name: first.user.name, fingerprint: first.client.fingerprint, rooms });
  }

  /** Where else a person is online (another server), with which identity key. */
  elsewhere(key: string): RemotePerson[] {
    return this.link.remotePeople().filter((person) => person.key === key);
  }

  remotePeople(): RemotePerson[] {
    return this.link.remotePeople();
  }

  /** The room's members on other servers (not also here), each once. */
  remoteMembersOf(room: LiveRoom): RemotePerson[] {
    const seen = new Set<string>();
    return this.link.remotePeople().filter((person) => {
      if (!person.rooms.includes(room.record.key) || room.people.has(person.key) || seen.has(person.key)) return false;
      seen.add(person.key);
      return true;
    });
  }

  /** The keys of a secret room's members on other servers, to seal to. */
  remoteKeysIn(room: LiveRoom): PeerKey[] {
    return this.remoteMembersOf(room).flatMap((person) => this.keyOf(person) ?? []);
  }

  /** Sends the notice to the other servers (and acts on it here, as they will). */
  publish(notice: ClusterNotice): void {
    this.link.publish(notice);
  }

  /** Joined and left notices for this server's members of the rooms that person entered or left. */
  private remoteChanged(before: RemotePerson | undefined, after: RemotePerson | undefined): void {
    const person = (after ?? before)!;
    const was = new Set(before?.rooms ?? []);
    const is = new Set(after?.rooms ?? []);
    const moving = this.moving.get(person.key);
    for (const key of is) {
      if (was.has(key)) continue;
      // Back in a room it left quietly on this server (a `resume` elsewhere): nobody came or went.
      if (moving?.rooms.delete(key)) continue;
      // In a secret room, with the newcomer's key, so that the members seal to it from now on.
      const peerKey = this.rooms.isSecret(key) ? this.keyOf(person) : undefined;
      this.tellRoom(key, person, { type: 'joined', name: person.name, ...(peerKey && { key: peerKey }) });
    }
    // Removed by an operator on their server: the room here hears the same words as the rooms there.
    const removed = after ? undefined : this.removals.get(person.key);
    const moderation = removed && (removed.fingerprint === undefined || removed.fingerprint === person.fingerprint) ? { moderation: removed.removal } : {};
    for (const key of was) {
      if (is.has(key)) continue;
      // Leaving another server for this one (a `resume` here): the room waits for them to come in.
      if (moving?.rooms.has(key)) continue;
      this.tellRoom(key, person, { type: 'left', name: person.name, reason: after ? 'left' : 'disconnected', ...moderation });
    }
  }

  private tellRoom(
    roomKey: string,
    person: Pick<RemotePerson, 'key'>,
    notice: { type: 'joined'; name: string; key?: PeerKey } | { type: 'left'; name: string; reason: 'left' | 'disconnected'; moderation?: RemovalNotice },
  ): void {
    const room = this.rooms.get(roomKey);
    // The same person here too, in that room: as far as the room knows, nobody came or went.
    if (!room || room.people.has(person.key)) return;
    this.rooms.tell(room, encodeJsonRecord({ ...notice, room: room.record.name }));
  }

  private rememberRemoval(key: string, fingerprint: string | undefined, removal: RemovalNotice): void {
    const entry = { fingerprint, removal };
    this.removals.set(key, entry);
    setTimeout(() => {
      if (this.removals.get(key) === entry) this.removals.delete(key);
    }, REMOVAL_WAIT_MS).unref();
  }

  private noticed(notice: ClusterNotice): void {
    switch (notice.kind) {
      case 'announce': {
        const record = encodeJsonRecord({ type: 'announcement', from: notice.from, text: notice.text, ts: notice.ts });
        for (const session of this.online.allSessions()) session.sendRecord(record);
        return;
      }
      case 'server_stopping': {
        const record = encodeJsonRecord({ type: 'announcement', from: notice.server, text: `server ${notice.server} is stopping: ${notice.reason}`, ts: Date.now() });
        for (const session of this.online.allSessions()) session.sendRecord(record);
        return;
      }
      case 'resumed':
        for (const session of [...this.online.sessionsOf(notice.key)]) {
          if (session.token !== notice.token || session.client.fingerprint !== notice.fingerprint) continue;
          // Its close logs it out; its rooms here wait for the person to come back through the other server.
          session.handedOff = true;
          session.connection.close('SESSION_REPLACED', `this session reconnected on server ${notice.server} of the chat`);
        }
        return;
      case 'disconnect':
        if (notice.removal) this.rememberRemoval(notice.key, notice.fingerprint, notice.removal);
        for (const session of [...this.online.sessionsOf(notice.key)]) {
          if (notice.fingerprint !== undefined && session.client.fingerprint !== notice.fingerprint) continue;
          // The room's `left` notices here say who removed them and why, as on the operator's server.
          session.removedBy = notice.removal;
          session.connection.close(notice.code, notice.reason);
        }
        return;
    }
  }
}
