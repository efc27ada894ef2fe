import { expect } from 'chai';
import { CoalescePolicy } from '../../src/server/coalesce-policy.ts';

/** Keeps the event loop busy, as a saturated server's is. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const turns = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('server/coalesce-policy', () => {
  it('widens the fan-out window while the event loop is saturated, and narrows it when calm again', async () => {
    const changes: number[] = [];
    const policy = new CoalescePolicy(20, 40, (ms) => changes.push(ms));
    policy.start();
    try {
      expect(policy.current).to.equal(20);
      // Saturated across several samples: nothing but work between the timer's turns.
      for (let i = 0; i < 6; i++) {
        spin(150);
        await turns(0);
      }
      expect(policy.current).to.equal(40);
      // Then idle for several samples.
      await turns(700);
      expect(policy.current).to.equal(20);
      expect(changes).to.deep.equal([40, 20]);
    } finally {
      policy.stop();
    }
  });

  it('stays put when the busy window is not wider than the base one', async () => {
    const policy = new CoalescePolicy(20, 20, () => expect.fail('no change expected'));
    policy.start();
    spin(300);
    await turns(250);
    expect(policy.current).to.equal(20);
    policy.stop();
  });
});
