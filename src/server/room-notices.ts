// An open room's joined and left notices, sent together while people come and go quickly.
//
// Why: each notice costs every member a sealed frame and a write (and the member's client a read
// and an open). After a server restart each member gets one for every member coming back, ~50 a
// member in a 50-member room, which was a quarter of the server's time in the reconnect storm.
// A notice after a quiet spell still goes at once; one that comes within `windowMs` of the room's
// last goes at the end of that window, with the others that came meanwhile, so each member gets
// them in one frame. They are the same records as ever, in the same order (old clients see no
// difference), and each goes only to the sessions that were members when it was made, as it
// would have at once: a newcomer's join reply already says who is in the room.
//
// A room message (fan-out.ts) and a members reply first flush what waits, so that nobody reads a
// message from someone the room has not yet been told joined, and a reply to any request first
// sends its session what waits for it. A secret room does not wait: its
// members need a newcomer's key before they seal their next message, and must stop sealing to
// someone who left.

import { performance } from 'node:perf_hooks';
import type { Session } from './session.ts';

interface WaitingNotice {
  record: Buffer;
  /** The members when it was made: who would have got it at once. */
  to: Session[];
}

/** What RoomNotices keeps for one live room. */
export interface RoomNoticeState {
  waiting: WaitingNotice[];
  timer: NodeJS.Timeout | undefined;
  /** When the room's notices last went out (performance.now()); -Infinity before the first. */
  lastSentAt: number;
}

export function newRoomNoticeState(): RoomNoticeState {
  return { waiting: [], timer: undefined, lastSentAt: Number.NEGATIVE_INFINITY };
}

export class RoomNotices {
  constructor(private readonly windowMs: () => number) {}

  /** Tells the room's members, now or at the end of the room's window (see above). */
  tell(room: { members: Set<Session>; notices: RoomNoticeState }, record: Buffer, now: boolean): void {
    const state = room.notices;
    const at = performance.now();
    const window = now ? 0 : this.windowMs();
    if (state.waiting.length === 0 && at - state.lastSentAt >= window) {
      state.lastSentAt = at;
      for (const member of room.members) member.sendRecord(record);
      return;
    }
    state.waiting.push({ record, to: [...room.members] });
    // A secret room's notice (or one the caller cannot let wait) takes those before it along.
    if (now) {
      this.flush(room);
      return;
    }
    state.timer ??= setTimeout(() => this.flush(room), Math.max(0, state.lastSentAt + window - at));
  }

  /** Sends what waits: each member gets its notices in this turn, so in one frame. */
  flush(room: { members: Set<Session>; notices: RoomNoticeState }): void {
    const state = room.notices;
    clearTimeout(state.timer);
    state.timer = undefined;
    if (state.waiting.length === 0) return;
    const waiting = state.waiting;
    state.waiting = [];
    state.lastSentAt = performance.now();
    for (const { record, to } of waiting) {
      for (const member of to) if (room.members.has(member)) member.sendRecord(record);
    }
  }

  /**
   * Sends one member what waits for it, now: a reply to its request goes out after everything the
   * room was told before it, as it always did (a client may take a reply as "all that came before
   * has arrived", as tests' ping does).
   */
  flushFor(room: { notices: RoomNoticeState }, member: Session): void {
    for (const notice of room.notices.waiting) {
      const index = notice.to.indexOf(member);
      if (index < 0) continue;
      notice.to.splice(index, 1);
      member.sendRecord(notice.record);
    }
  }

  /** A reconnect took `from`'s place in the room (RoomDirectory.handOver): what waits for it is the new session's. */
  handOver(room: { notices: RoomNoticeState }, from: Session, to: Session): void {
    for (const notice of room.notices.waiting) {
      const index = notice.to.indexOf(from);
      if (index >= 0) notice.to[index] = to;
    }
  }

  /** The room is gone (nobody left in it): nothing waits for anyone. */
  drop(room: { notices: RoomNoticeState }): void {
    clearTimeout(room.notices.timer);
    room.notices.timer = undefined;
    room.notices.waiting = [];
  }
}
