// The load gauge that widens the fan-out coalescing window: 1 while the event loop is mostly
// idle, up to maxFactor near saturation, smoothed so that one long turn does not swing it.

import { expect } from 'chai';
import { LoadGauge } from '../../src/server/load-gauge.ts';

describe('server/load-gauge', () => {
  function gaugeFed(samples: number[]): LoadGauge {
    const gauge = new LoadGauge({ sample: () => samples.shift() ?? 0 });
    return gauge;
  }

  it('is 1 while the loop is mostly idle, rises with sustained load to maxFactor, and falls back when the load goes', () => {
    const gauge = gaugeFed([0.2, 0.3, 0.2, 0.9, 1, 1, 1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    for (let i = 0; i < 3; i++) {
      gauge.tick();
      expect(gauge.factor).to.equal(1);
    }
    let previous = gauge.factor;
    for (let i = 0; i < 8; i++) {
      gauge.tick();
      expect(gauge.factor).to.be.at.least(previous);
      previous = gauge.factor;
    }
    expect(gauge.factor).to.be.closeTo(2, 0.01);
    for (let i = 0; i < 6; i++) gauge.tick();
    expect(gauge.factor).to.equal(1);
  });

  it('does not jump to its widest on one busy sample', () => {
    const gauge = gaugeFed([0, 0, 1]);
    for (let i = 0; i < 3; i++) gauge.tick();
    expect(gauge.factor).to.equal(1);
  });

  it('reads a blocked event loop as busy', () => {
    const gauge = new LoadGauge();
    gauge.tick();
    for (let round = 0; round < 2; round++) {
      // Bounded busy-wait: the loop is blocked for 100 ms, as a saturated server's is.
      const until = performance.now() + 100;
      while (performance.now() < until);
      gauge.tick();
    }
    expect(gauge.factor).to.be.above(1);
  });
});
