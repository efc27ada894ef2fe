import { expect } from 'chai';
import { expandHome, parsePathArgument } from '../../src/shared/file-paths.ts';

describe('ui/file-paths', () => {
  it('takes the rest of the line, one quoted path, or spaces escaped with a backslash', () => {
    expect(parsePathArgument('/tmp/my file.txt')).to.deep.equal({ path: '/tmp/my file.txt' });
    expect(parsePathArgument(`  '/tmp/it''s'  `)).to.deep.equal({ problem: 'one path only (quote it whole)' });
    expect(parsePathArgument(`'/tmp/my file.txt'`)).to.deep.equal({ path: '/tmp/my file.txt' });
    expect(parsePathArgument(`"/tmp/it's here.txt"`)).to.deep.equal({ path: "/tmp/it's here.txt" });
    expect(parsePathArgument('/tmp/my\\ file\\\\x.txt')).to.deep.equal({ path: '/tmp/my file\\x.txt' });
    expect(parsePathArgument('C:\\notes.txt')).to.deep.equal({ path: 'C:\\notes.txt' });
    expect(parsePathArgument(`'/tmp/open`)).to.deep.equal({ problem: "the path has no closing '" });
    expect(parsePathArgument(`""`)).to.deep.equal({ problem: 'which file?' });
    expect(parsePathArgument('   ')).to.deep.equal({ problem: 'which file?' });
  });

  it('reads ~ and ~/... as the home dir, and nothing else', () => {
    expect(expandHome('~', '/home/ada')).to.equal('/home/ada');
    expect(expandHome('~/a b.txt', '/home/ada/')).to.equal('/home/ada/a b.txt');
    expect(expandHome('~bob/x', '/home/ada')).to.equal('~bob/x');
    expect(expandHome('/tmp/~/x', '/home/ada')).to.equal('/tmp/~/x');
  });
});
