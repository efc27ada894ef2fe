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
// While notices keep coming, the wait doubles with each window that sent some, up to
// MAX_WINDOW_GROWTH times the configured one, and it is back to that after a quiet spell. After a
// restart people come back over a few seconds, not 250 ms: with a fixed window every member still
// got a frame every 250 ms for as long as the others trickled in (~17 per member in the 2,000-client
// reconnect storm, ten times the replies), each a seal and a write for the server and a read and an
// open for the member. With the growing window it is ~2 (~3,800 frames in all instead of ~33,600),
// and a room where someone joins now and then is told at once as before.
//
// A room message (fan-out.ts) and a members reply first flush what waits, so that nobody reads a
// message from someone the room has not yet been told joined, and a reply to any request first
// sends its session what waits for it. A secret room does not wait: its
// members need a newcomer's key before they seal their next message, and must stop sealing to
// someone who left.

import { performance } from 'node:perf_hooks';

/** How far the window may grow while notices keep coming: 250 ms becomes at most 2 s. */
export const MAX_WINDOW_GROWTH = 8;

/** A member as the notices see it: a session (session.ts), or a test's stand-in. */
export interface NoticeMember {
  sendRecord(record: Buffer): void;
}

interface WaitingNotice {
  record: Buffer;
  /** The members when it was made: who would have got it at once. */
  to: NoticeMember[];
}

/** The room as the notices see it. */
interface NoticeRoom {
  members: Set<NoticeMember>;
  notices: RoomNoticeState;
}

/** Time and timers, given by tests that step through windows without waiting for them. */
export interface NoticeClock {
  now(): number;
  setTimeout(run: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout | undefined): void;
}

const realClock: NoticeClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

/** What RoomNotices keeps for one live room. */
export interface RoomNoticeState {
  waiting: WaitingNotice[];
  timer: NodeJS.Timeout | undefined;
  /** When the room's notices last went out (clock.now()); -Infinity before the first. */
  lastSentAt: number;
  /** The configured window times this: doubled by each window that sent notices, 1 after a quiet spell. */
  growth: number;
}

export function newRoomNoticeState(): RoomNoticeState {
  return { waiting: [], timer: undefined, lastSentAt: Number.NEGATIVE_INFINITY, growth: 1 };
}

export class RoomNotices {
  constructor(
    private readonly windowMs: () => number,
    private readonly clock: NoticeClock = realClock,
  ) {}

  /** Tells the room's members, now or at the end of the room's window (see above). */
  tell(room: NoticeRoom, record: Buffer, now: boolean): void {
    const state = room.notices;
    const at = this.clock.now();
    const window = now ? 0 : this.windowMs() * state.growth;
    if (state.waiting.length === 0 && at - state.lastSentAt >= window) {
      // A quiet spell (or a notice that cannot wait): at once, and the next window is the configured one.
      state.lastSentAt = at;
      state.growth = 1;
      for (const member of room.members) member.sendRecord(record);
      return;
    }
    state.waiting.push({ record, to: [...room.members] });
    // A secret room's notice (or one the caller cannot let wait) takes those before it along.
    if (now) {
      this.flush(room);
      return;
    }
    state.timer ??= this.clock.setTimeout(() => this.send(room), Math.max(0, state.lastSentAt + window - at));
  }

  /** A window ended with notices in it: they go, and the next window is twice as long. */
  private send(room: NoticeRoom): void {
    room.notices.timer = undefined;
    if (room.notices.waiting.length === 0) return;
    this.flush(room);
    room.notices.growth = Math.min(MAX_WINDOW_GROWTH, room.notices.growth * 2);
  }

  /** Sends what waits: each member gets its notices in this turn, so in one frame. */
  flush(room: NoticeRoom): void {
    const state = room.notices;
    this.clock.clearTimeout(state.timer);
    state.timer = undefined;
    if (state.waiting.length === 0) return;
    const waiting = state.waiting;
    state.waiting = [];
    state.lastSentAt = this.clock.now();
    for (const { record, to } of waiting) {
      for (const member of to) if (room.members.has(member)) member.sendRecord(record);
    }
  }

  /**
   * Sends one member what waits for it, now: a reply to its request goes out after everything the
   * room was told before it, as it always did (a client may take a reply as "all that came before
   * has arrived", as tests' ping does).
   */
  flushFor(room: { notices: RoomNoticeState }, member: NoticeMember): void {
    for (const notice of room.notices.waiting) {
      const index = notice.to.indexOf(member);
      if (index < 0) continue;
      notice.to.splice(index, 1);
      member.sendRecord(notice.record);
    }
  }

  /** A reconnect took `from`'s place in the room (RoomDirectory.handOver): what waits for it is the new session's. */
  handOver(room: { notices: RoomNoticeState }, from: NoticeMember, to: NoticeMember): void {
    for (const notice of room.notices.waiting) {
      const index = notice.to.indexOf(from);
      if (index >= 0) notice.to[index] = to;
    }
  }

  /** The room is gone (nobody left in it): nothing waits for anyone. */
  drop(room: { notices: RoomNoticeState }): void {
    this.clock.clearTimeout(room.notices.timer);
    room.notices.timer = undefined;
    room.notices.waiting = [];
  }
}
