// How long an open room's joined/left notices wait (room-notices.ts): the window doubles while
// notices keep coming and is back to the configured one after a quiet spell. The room's clock is a
// stepped one, so each send's time is exact and nothing here waits for real time.

import { expect } from 'chai';
import { MAX_WINDOW_GROWTH, newRoomNoticeState, RoomNotices, type NoticeClock, type NoticeMember } from '../../src/server/room-notices.ts';

/** A clock whose time moves only when the test says, running the timers that fall due in order. */
class SteppedClock implements NoticeClock {
  private time = 0;
  private timers: { at: number; run: () => void; id: number }[] = [];
  private ids = 0;

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): NodeJS.Timeout {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, run, id });
    return id as unknown as NodeJS.Timeout;
  }

  clearTimeout(timer: NodeJS.Timeout | undefined): void {
    this.timers = this.timers.filter((t) => (t.id as unknown) !== timer);
  }

  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.run();
    }
    this.time = to;
  }
}

/** A member that notes when each notice reached it. */
class Reader implements NoticeMember {
  readonly got: { at: number; text: string }[] = [];
  constructor(private readonly clock: SteppedClock) {}
  sendRecord(record: Buffer): void {
    this.got.push({ at: this.clock.now(), text: record.toString() });
  }
  /** The distinct times it was sent something: one frame each (all of a turn leaves in one frame). */
  sendTimes(): number[] {
    return [...new Set(this.got.map((g) => g.at))];
  }
}

function setUp(windowMs: number) {
  const clock = new SteppedClock();
  const notices = new RoomNotices(() => windowMs, clock);
  const reader = new Reader(clock);
  const room = { members: new Set<NoticeMember>([reader]), notices: newRoomNoticeState() };
  return { clock, notices, reader, room };
}

describe('server/room-notices: the window grows while notices keep coming', () => {
  it('doubles with each window that sent notices, up to its cap, and loses none and reorders none', () => {
    const { clock, notices, reader, room } = setUp(250);
    // After a restart: someone comes back every 50 ms for 6 s.
    const told: string[] = [];
    for (let at = 0; at < 6000; at += 50) {
      clock.advanceTo(at);
      const text = `joined ${at}`;
      told.push(text);
      notices.tell(room, Buffer.from(text), false);
    }
    clock.advanceTo(20_000);
    expect(reader.got.map((g) => g.text)).to.deep.equal(told);
    // At once; then windows of 250, 500, 1000 and 2000 ms (the cap: 8 × 250), and 2000 again.
    expect(MAX_WINDOW_GROWTH).to.equal(8);
    expect(reader.sendTimes()).to.deep.equal([0, 250, 750, 1750, 3750, 5750, 7750]);
  });

  it('goes back to the configured window after a quiet spell: the next notice goes at once', () => {
    const { clock, notices, reader, room } = setUp(250);
    for (let at = 0; at <= 1000; at += 50) {
      clock.advanceTo(at);
      notices.tell(room, Buffer.from(`a ${at}`), false);
    }
    clock.advanceTo(5000);
    const before = reader.sendTimes();
    expect(before).to.deep.equal([0, 250, 750, 1750]);
    // A quiet spell longer than the grown window: at once, then the configured 250 ms again.
    clock.advanceTo(10_000);
    notices.tell(room, Buffer.from('b'), false);
    clock.advanceTo(10_100);
    notices.tell(room, Buffer.from('c'), false);
    clock.advanceTo(20_000);
    expect(reader.sendTimes().slice(before.length)).to.deep.equal([10_000, 10_250]);
  });

  it('a notice that cannot wait takes the waiting ones along at once, and does not grow the window', () => {
    const { clock, notices, reader, room } = setUp(250);
    notices.tell(room, Buffer.from('one'), false);
    clock.advanceTo(100);
    notices.tell(room, Buffer.from('two'), false);
    clock.advanceTo(120);
    notices.tell(room, Buffer.from('secret three'), true);
    expect(reader.got).to.deep.equal([
      { at: 0, text: 'one' },
      { at: 120, text: 'two' },
      { at: 120, text: 'secret three' },
    ]);
    clock.advanceTo(200);
    notices.tell(room, Buffer.from('four'), false);
    clock.advanceTo(1000);
    // The window is still the configured one: 'four' went 250 ms after the last send (120).
    expect(reader.got.at(-1)).to.deep.equal({ at: 370, text: 'four' });
  });

  it('with a window of 0 every notice goes at once', () => {
    const { clock, notices, reader, room } = setUp(0);
    for (let at = 0; at < 100; at += 10) {
      clock.advanceTo(at);
      notices.tell(room, Buffer.from(`n ${at}`), false);
    }
    expect(reader.got.map((g) => g.at)).to.deep.equal([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });
});
