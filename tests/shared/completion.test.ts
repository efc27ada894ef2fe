import { expect } from 'chai';
import { completeLine, completionCandidates } from '../../src/shared/completion.ts';

const sources = { users: ['alice', 'Albert', 'bob'], rooms: ['lobby', 'dev', 'design'] };

describe('ui/completion', () => {
  it('completes commands at the start of a line', () => {
    expect(completeLine('/jo', sources).line).to.equal('/join ');
    expect(completionCandidates('/show', sources).matches).to.deep.equal(['/showgroupmembers', '/showgroups']);
  });

  it('completes rooms after # and after commands that take a room, names elsewhere', () => {
    expect(completeLine('see #lo', sources).line).to.equal('see #lobby ');
    expect(completeLine('/join lo', sources).line).to.equal('/join lobby ');
    expect(completeLine('/msg bo', sources).line).to.equal('/msg bob ');
    expect(completeLine('/tru', sources).line).to.equal('/trust ');
    expect(completeLine('/trust bo', sources).line).to.equal('/trust bob ');
    expect(completeLine('/whois @bo', sources).line).to.equal('/whois @bob ');
    expect(completeLine('hi @bo', sources).line).to.equal('hi @bob ');
    expect(completeLine('bo', sources).line).to.equal('bob: ');
  });

  it('cycles through several matches on repeated Tab, in any letter case', () => {
    const first = completeLine('al', sources);
    expect(first.line).to.equal('Albert');
    const second = completeLine(first.line, sources, first.cycle);
    expect(second.line).to.equal('alice: ');
    const third = completeLine(second.line, sources, second.cycle);
    expect(third.line).to.equal('Albert: ');
  });

  it('leaves a line with no match as it is', () => {
    expect(completeLine('zz', sources)).to.deep.equal({ line: 'zz' });
  });
});
