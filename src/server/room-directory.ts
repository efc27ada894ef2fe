// Rooms with people in them: who is a member, the joined/left notices, and whether a room is
// secret. The store keeps rooms forever; a live room exists only while it has members. Membership
// is per session, but a person with several sessions in a room is one member: joined is told for
// their first session there, left for their last.

import { ParlorError } from '../protocol/errors.ts';
import type { Reply } from '../protocol/messages.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import type { ChatStore, RoomRecord } from '../store/store.ts';
import { KeyDirectory } from './keys.ts';
import { foldName } from './names.ts';
import { newRoomNoticeState, RoomNotices, type RoomNoticeState } from './room-notices.ts';
import type { Session } from './session.ts';

export interface LiveRoom {
  record: RoomRecord;
  /** Every session in the room: what a message to the room goes to. */
  members: Set<Session>;
  /** The same sessions by person (user key), in the order people came in. */
  people: Map<string, Set<Session>>;
  /** Joined and left notices waiting to go out together (room-notices.ts). */
  notices: RoomNoticeState;
}

/** One session per person in the room: who the members are. */
export function peopleIn(room: LiveRoom): Session[] {
  return [...room.people.values()].map((sessions) => sessions.values().next().value!);
}

/**
 * With a shared store: a person moving to another server of the chat (a reconnect's `resume`
 * there) leaves and enters rooms without the rooms being told (cluster.ts keeps the rooms).
 */
export interface RoomMoves {
  /** Whether this person's first session entering the room here is one coming back from another server. */
  arrives(userKey: string, roomKey: string): boolean;
  /** A handed-off session left the room here, quietly: told later if the person does not turn up elsewhere. */
  departs(userKey: string, name: string, roomKey: string): void;
}

export class RoomDirectory {
  private readonly live = new Map<string, LiveRoom>();
  /** Set by shutDown(): departures are no longer told. */
  private stopping = false;
  /** Set by the cluster bridge (cluster.ts) when the chat runs on several servers. */
  moves: RoomMoves | undefined;
  /** Whether each room is secret, read from the store once: a room never changes kind. */
  private readonly secret = new Map<string, boolean>();

  private readonly notices: RoomNotices;

  /** `presenceWindowMs`: how long an open room's notices may wait for others (room-notices.ts). */
  constructor(
    private readonly store: ChatStore,
    presenceWindowMs: () => number = () => 0,
  ) {
    this.notices = new RoomNotices(presenceWindowMs);
  }

  get(key: string): LiveRoom | undefined {
    return this.live.get(key);
  }

  /**
   * A room by the name a session gave, which the session must be in. A secret room is unlisted:
   * to anyone not in it, it answers exactly as a room that does not exist (no oracle).
   */
  of(session: Session, name: string): LiveRoom {
    const key = foldName(name.replace(/^#/, ''));
    const room = this.live.get(key);
    if (!room || !session.rooms.has(key)) {
      if (!this.store.getRoom(key) || !this.isVisibleTo(session.user?.key, key)) throw new ParlorError('ROOM_NOT_FOUND', `there is no room #${name}`);
      throw new ParlorError('NOT_IN_ROOM', `join #${name} first`);
    }
    return room;
  }

  /** Whether a person may learn that a room exists and who is in it: an open room, or a secret one they are in. */
  isVisibleTo(userKey: string | undefined, roomKey: string): boolean {
    if (!this.isSecret(roomKey)) return true;
    return userKey !== undefined && this.live.get(roomKey)?.people.has(userKey) === true;
  }

  /** The display name of a room, live or not. */
  nameOf(key: string): string {
    return this.live.get(key)?.record.name ?? this.store.getRoom(key)?.name ?? key;
  }

  isSecret(key: string): boolean {
    let secret = this.secret.get(key);
    if (secret === undefined) {
      secret = this.store.isRoomSecret(key);
      // Kept only once the room is known: with a shared store, another server's people can be in a
      // room that this server has not read yet (its kind is read with it, first).
      if (secret || this.store.getRoom(key)) this.secret.set(key, secret);
    }
    return secret;
  }

  /** A room just created: its kind is known without asking the store again. */
  created(key: string, secret: boolean): void {
    if (secret) this.store.markRoomSecret(key);
    this.secret.set(key, secret);
  }

  /**
   * Adds the session to the room (telling the members, with the newcomer's key in a secret room,
   * so that they can seal to it) unless it is in already.
   */
  enter(session: Session, key: string): LiveRoom {
    let room = this.live.get(key);
    if (!room) {
      const record = this.store.getRoom(key)!;
      this.live.set(key, (room = { record, members: new Set(), people: new Map(), notices: newRoomNoticeState() }));
    }
    if (!session.rooms.has(key)) {
      const user = session.user!;
      let sessions = room.people.get(user.key);
      if (!sessions && this.moves?.arrives(user.key, key)) {
        room.people.set(user.key, (sessions = new Set()));
      } else if (!sessions) {
        // The person's first session here: the others learn that they joined.
        const withKey = this.isSecret(key) ? { key: KeyDirectory.ofClient(user.name, session.client) } : {};
        this.tell(room, encodeJsonRecord({ type: 'joined', room: room.record.name, name: user.name, ...withKey }));
        room.people.set(user.key, (sessions = new Set()));
      }
      sessions.add(session);
      room.members.add(session);
      session.rooms.add(key);
    }
    return room;
  }

  /** A reconnect takes an old session's place (same person) in all its rooms, silently. */
  handOver(from: Session, to: Session): void {
    for (const key of from.rooms) {
      const room = this.live.get(key);
      if (!room?.members.delete(from)) continue;
      room.members.add(to);
      this.notices.handOver(room, from, to);
      const sessions = room.people.get(from.user!.key);
      sessions?.delete(from);
      sessions?.add(to);
      to.rooms.add(key);
    }
    from.rooms.clear();
  }

  remove(session: Session, key: string, reason: 'left' | 'disconnected'): void {
    const room = this.live.get(key);
    session.rooms.delete(key);
    if (!room?.members.delete(session)) return;
    const user = session.user!;
    const sessions = room.people.get(user.key);
    sessions?.delete(session);
    // Another session of the same person is still here: as far as the room knows, nobody left.
    if (sessions && sessions.size > 0) return;
    room.people.delete(user.key);
    if (session.handedOff && this.moves) {
      this.moves.departs(user.key, user.name, key);
    } else if (!this.stopping) {
      // `reason` stays "disconnected" for a kick or ban, so older clients still show a departure.
      const moderation = session.removedBy === undefined ? {} : { moderation: session.removedBy };
      this.tell(room, encodeJsonRecord({ type: 'left', room: room.record.name, name: user.name, reason, ...moderation }));
    }
    if (room.members.size === 0) this.close(key, room);
  }

  /**
   * A joined or left notice to the room's members: in an open room it may wait a moment for
   * others (room-notices.ts); in a secret room it goes at once, for the keys.
   */
  tell(room: LiveRoom, notice: Buffer): void {
    this.notices.tell(room, notice, this.isSecret(room.record.key));
  }

  /** Sends the room's waiting notices now: before a room message, or a members reply, goes out. */
  flushNotices(room: LiveRoom): void {
    this.notices.flush(room);
  }

  /** Before a reply to this session: the notices its rooms hold for it go first (room-notices.ts). */
  flushNoticesFor(session: Session): void {
    for (const key of session.rooms) {
      const room = this.live.get(key);
      if (room && room.notices.waiting.length > 0) this.notices.flushFor(room, session);
    }
  }

  /**
   * The server is stopping: from here on nobody is told that others leave. Everyone here is being
   * let go, one by one, and the first to go was announced to the rest as disconnected, so that
   * their clients forgot them just before a restart brought them back. Notices still waiting for
   * their window are not sent either: everyone gets the room's members afresh when they rejoin,
   * and someone they were never told of, back after the restart, is then told as joining.
   */
  shutDown(): void {
    this.stopping = true;
    for (const room of this.live.values()) this.notices.drop(room);
  }

  private close(key: string, room: LiveRoom): void {
    this.notices.drop(room);
    this.live.delete(key);
  }

  /** The rooms a person may see: every open room, and the secret ones they are in. */
  list(userKey: string): Reply<'rooms'> {
    return {
      rooms: this.store.listRooms().filter((room) => this.isVisibleTo(userKey, room.key)).map((room) => ({
        name: room.name,
        members: this.live.get(room.key)?.people.size ?? 0,
        hasPassword: room.passwordHash !== null,
        secret: this.isSecret(room.key),
      })),
    };
  }
}
