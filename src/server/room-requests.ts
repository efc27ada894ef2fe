// A session's requests about rooms: create (with its limits, room-creations.ts), join (a room's
// own password, slowed for guessing), leave, the list of rooms and a room's members. Who is in
// which room, and telling the members, is RoomDirectory's (room-directory.ts).

import { ParlorError } from '../protocol/errors.ts';
import type { Reply, Request } from '../protocol/messages.ts';
import type { ChatStore } from '../store/store.ts';
import type { ClusterBridge } from './cluster.ts';
import type { HistoryReader } from './history-reader.ts';
import { KeyDirectory } from './keys.ts';
import type { LookAlikeGuard } from './look-alikes.ts';
import { checkRoomName, foldName } from './names.ts';
import { guesser, type PasswordGuard } from './password-guard.ts';
import type { PasswordHashing } from './password-hashing.ts';
import type { RoomCreations } from './room-creations.ts';
import { peopleIn, type RoomDirectory } from './room-directory.ts';
import type { Session } from './session.ts';

export interface RoomRequestSettings {
  historyLimit: number;
  /** Bytes of a join reply's history, members and keys together (kept under the outbound cap). */
  historyPageBytes: number;
}

/** The parts of the chat that room requests read and change. */
export interface RoomRequestParts {
  store: ChatStore;
  rooms: RoomDirectory;
  reader: HistoryReader;
  guard: PasswordGuard;
  hashing: PasswordHashing;
  creations: RoomCreations;
  lookAlikes: LookAlikeGuard;
  cluster: ClusterBridge | undefined;
}

export class RoomRequests {
  constructor(
    private readonly parts: RoomRequestParts,
    private readonly settings: RoomRequestSettings,
  ) {}

  async create(session: Session, request: Request<'create'>): Promise<Reply<'create'>> {
    const { store, rooms, hashing, creations, lookAlikes } = this.parts;
    const user = session.requireUser();
    if (request.secret === true) refuseIfOverSsh(session, request.room);
    const { display, key } = checkRoomName(request.room);
    if (store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: join it instead`);
    lookAlikes.checkRoom(key, display);
    creations.check(session, user.key);
    const passwordHash = request.password === undefined ? null : await hashing.hash(request.password);
    // Checked again after the await: another session may have created it meanwhile, or this one
    // may have gone.
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    if (store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: join it instead`);
    lookAlikes.checkRoom(key, display);
    creations.count(user.key);
    // Secret before it exists: a server sharing the store that learns of the room knows its kind.
    rooms.created(key, request.secret === true);
    store.createRoom({ key, name: display, passwordHash, createdBy: user.key, createdAt: Date.now() });
    lookAlikes.roomCreated(key, display);
    return this.enter(session, key, undefined);
  }

  async join(session: Session, request: Request<'join'>): Promise<Reply<'join'>> {
    const { store, rooms, guard, hashing } = this.parts;
    session.requireUser();
    const { key } = checkRoomName(request.room);
    const record = store.getRoom(key);
    if (!record) throw new ParlorError('ROOM_NOT_FOUND', `there is no room #${request.room}: create it first, or check the name`);
    if (rooms.isSecret(key)) refuseIfOverSsh(session, record.name);
    if (record.passwordHash !== null && !session.rooms.has(key)) {
      // No password at all is not a guess: it is told apart, and not counted towards the slow-down.
      if (request.password === undefined) throw new ParlorError('PASSWORD_REQUIRED', `#${record.name} has a password of its own: give it to join`);
      const { password, passwordHash } = { password: request.password, passwordHash: record.passwordHash };
      const right = await guard.attempt(guesser(session), `room:${key}`, () => hashing.verify(password, passwordHash), () => session.isOpen);
      if (right === false) throw new ParlorError('BAD_PASSWORD', `that is not the password of #${record.name}`);
    }
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    return this.enter(session, key, request.since);
  }

  leave(session: Session, request: Request<'leave'>): Reply<'leave'> {
    session.requireUser();
    const key = foldName(request.room.replace(/^#/, ''));
    const room = this.parts.rooms.get(key);
    if (!room || !session.rooms.has(key)) throw new ParlorError('NOT_IN_ROOM', `you are not in #${request.room}`);
    this.parts.rooms.remove(session, key, 'left');
    this.parts.cluster?.localChanged(session.user!.key);
    return { room: room.record.name };
  }

  list(session: Session): Reply<'rooms'> {
    return this.parts.rooms.list(session.requireUser().key);
  }

  members(session: Session, request: Request<'members'>): Reply<'members'> {
    const { store, rooms, cluster } = this.parts;
    session.requireUser();
    const room = rooms.of(session, request.room);
    // The notices still waiting would come after this list and tell it again.
    rooms.flushNotices(room);
    return {
      room: room.record.name,
      members: [
        ...peopleIn(room).map((member) => ({
          name: member.user!.name,
          lastMessageAt: store.getUser(member.user!.key)?.lastMessageAt ?? null,
          ...(cluster && { server: cluster.serverName }),
        })),
        ...(cluster?.remoteMembersOf(room) ?? []).map((person) => ({ name: person.name, lastMessageAt: store.getUser(person.key)?.lastMessageAt ?? null, server: person.server })),
      ],
    };
  }

  /** Into the room (if not in yet), with its history since `since` or its recent history. */
  private async enter(session: Session, key: string, since: number | undefined): Promise<Reply<'join'>> {
    const { rooms, reader, cluster } = this.parts;
    const room = rooms.enter(session, key);
    cluster?.localChanged(session.user!.key);
    const members = peopleIn(room).map((member) => member.user!.name);
    const keys = rooms.isSecret(key)
      ? [...peopleIn(room).map((member) => KeyDirectory.ofClient(member.user!.name, member.client)), ...(cluster?.remoteKeysIn(room) ?? [])]
      : undefined;
    // The members and a secret room's keys come out of the same page budget as the history, so
    // that a big room's join reply stays within what one page may be.
    const roster = Buffer.byteLength(JSON.stringify(members)) + (keys ? Buffer.byteLength(JSON.stringify(keys)) : 0);
    const maxBytes = Math.max(0, this.settings.historyPageBytes - roster);
    const page = await reader.roomPage(key, session.user!.key, { after: since, before: reader.firstLiveId(), limit: this.settings.historyLimit, maxBytes });
    return {
      room: room.record.name,
      members,
      history: page.messages,
      more: page.more,
      hasPassword: room.record.passwordHash !== null,
      ...(keys && { secret: true, keys }),
    };
  }
}

/** A secret room is end-to-end; an SSH visitor's words pass through the server in clear. */
function refuseIfOverSsh(session: Session, room: string): void {
  if (session.via !== 'ssh') return;
  throw new ParlorError(
    'E2E_REQUIRED',
    `#${room.replace(/^#/, '')} is secret (end-to-end): you are connected over ssh, so the server reads everything you say and receive; join it from a parlor client`,
  );
}
