import { expect } from 'chai';
import { dayChanges, dayChangeText, foldText, safeFold } from '../../src/ui/text-layout.ts';

const at = (year: number, month: number, day: number, hour = 12) => new Date(year, month - 1, day, hour).getTime();

describe('ui/text-layout', () => {
  it('folds the first line to its own width and the rest to theirs, cutting only words longer than a line', () => {
    expect(foldText('one two three four five six', 10, 14)).to.deep.equal(['one two', 'three four', 'five six']);
    expect(foldText('aa bb cc dd ee ff gg hh', 10, 20)).to.deep.equal(['aa bb cc', 'dd ee ff gg hh']);
    expect(foldText('x'.repeat(25), 10, 10)).to.deep.equal(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(foldText('a\nb {c}\u0007', 20)).to.deep.equal(['a', 'b {c}^G']);
    expect(safeFold('a\nb {c}', 20)).to.deep.equal(['a', 'b {open}c{close}']);
  });

  it('names a day as "— Friday 4 December —", with the year only when it is not this one', () => {
    expect(dayChangeText(at(2026, 12, 4), at(2026, 12, 5))).to.equal('— Friday 4 December —');
    expect(dayChangeText(at(2025, 12, 31), at(2026, 1, 2))).to.equal('— Wednesday 31 December 2025 —');
  });

  it('puts a day change between entries of different local days, and before the first when it is not today', () => {
    const now = at(2026, 12, 5, 9);
    expect([...dayChanges([at(2026, 12, 5, 1), at(2026, 12, 5, 8)], now)]).to.deep.equal([]);
    expect([...dayChanges([at(2026, 12, 3, 23), at(2026, 12, 3, 23), at(2026, 12, 4, 0), at(2026, 12, 5, 8)], now)]).to.deep.equal([0, 2, 3]);
    // Local midnight decides, not UTC's: 23:59 and 00:01 of the next day are two days.
    expect([...dayChanges([new Date(2026, 11, 4, 23, 59).getTime(), new Date(2026, 11, 5, 0, 1).getTime()], now)]).to.deep.equal([0, 1]);
  });
});
