import { expect } from 'chai';
import { COMMAND_NAMES, helpLines, parseChatLine } from '../../src/shared/slash-commands.ts';

describe('ui/slash-commands', () => {
  it('sends plain text to the conversation, ! lines to the bot and @USER lines as direct messages', () => {
    expect(parseChatLine('hello there')).to.deep.equal({ kind: 'say', text: 'hello there' });
    expect(parseChatLine('!echo hi')).to.deep.equal({ kind: 'bot', text: '!echo hi' });
    expect(parseChatLine('@bob see you')).to.deep.equal({ kind: 'dm', to: 'bob', text: 'see you' });
    expect(parseChatLine('   ')).to.deep.equal({ kind: 'nothing' });
    expect(parseChatLine('//etc/passwd is a path')).to.deep.equal({ kind: 'say', text: '/etc/passwd is a path' });
    expect(parseChatLine('! not a command')).to.deep.equal({ kind: 'say', text: '! not a command' });
  });

  it('takes the seeds\' names as aliases, in any letter case', () => {
    expect(parseChatLine('/showgroups')).to.deep.equal({ kind: 'rooms' });
    expect(parseChatLine('/showgroupmembers #dev')).to.deep.equal({ kind: 'members', room: 'dev' });
    expect(parseChatLine('/list')).to.deep.equal({ kind: 'users' });
    expect(parseChatLine('/DisplayUsers')).to.deep.equal({ kind: 'users' });
    expect(parseChatLine('/DisplayAllUsers')).to.deep.equal({ kind: 'allusers' });
    expect(parseChatLine('/Name')).to.deep.equal({ kind: 'name' });
    expect(parseChatLine('/Block mallory')).to.deep.equal({ kind: 'block', name: 'mallory' });
    expect(parseChatLine('/UnBlock @mallory')).to.deep.equal({ kind: 'unblock', name: 'mallory' });
    expect(parseChatLine('/Blocked')).to.deep.equal({ kind: 'blocked' });
  });

  it('parses arguments, keeping the rest of the line as the text', () => {
    expect(parseChatLine('/join #secret pw1')).to.deep.equal({ kind: 'join', room: 'secret', password: 'pw1' });
    expect(parseChatLine('/join dev')).to.deep.equal({ kind: 'join', room: 'dev' });
    expect(parseChatLine('/create ops hunter2')).to.deep.equal({ kind: 'create', room: 'ops', password: 'hunter2' });
    expect(parseChatLine('/msg alice  two  spaces kept')).to.deep.equal({ kind: 'dm', to: 'alice', text: 'two  spaces kept' });
    expect(parseChatLine('/group dev hello all')).to.deep.equal({ kind: 'group', room: 'dev', text: 'hello all' });
    expect(parseChatLine('/export /tmp/my chat.txt')).to.deep.equal({ kind: 'export', path: '/tmp/my chat.txt' });
    expect(parseChatLine('/export')).to.deep.equal({ kind: 'export' });
    expect(parseChatLine('/theme Light')).to.deep.equal({ kind: 'theme', name: 'light' });
    expect(parseChatLine('/bell all')).to.deep.equal({ kind: 'bell', mode: 'all' });
    expect(parseChatLine('/op s3cret')).to.deep.equal({ kind: 'op', password: 's3cret' });
    expect(parseChatLine('/leave')).to.deep.equal({ kind: 'leave' });
    expect(parseChatLine('/quit')).to.deep.equal({ kind: 'quit' });
  });

  it('answers a missing argument or an unknown command with its usage', () => {
    const join = parseChatLine('/join');
    expect(join.kind).to.equal('error');
    expect(join.kind === 'error' && join.message).to.contain('/join ROOM [PASSWORD]');
    expect(parseChatLine('/msg alice').kind).to.equal('error');
    expect(parseChatLine('/bell loud').kind).to.equal('error');
    const unknown = parseChatLine('/frobnicate');
    expect(unknown.kind === 'error' && unknown.message).to.contain('/help');
  });

  it('parses /file and /groupfile paths with spaces or quotes, and the transfer verbs with or without a number', () => {
    expect(parseChatLine('/file @bob ~/my notes.txt')).to.deep.equal({ kind: 'file', to: 'bob', path: '~/my notes.txt' });
    expect(parseChatLine(`/groupfile #dev '/tmp/a b.txt'`)).to.deep.equal({ kind: 'groupfile', room: 'dev', path: '/tmp/a b.txt' });
    expect(parseChatLine('/file bob')).to.deep.equal({ kind: 'error', message: 'to whom, and which file? (/file USER PATH)' });
    expect(parseChatLine(`/file bob 'a.txt`)).to.deep.equal({ kind: 'error', message: "the path has no closing ' (/file USER PATH)" });
    expect(parseChatLine('/accept')).to.deep.equal({ kind: 'accept' });
    expect(parseChatLine('/decline 2')).to.deep.equal({ kind: 'decline', id: 2 });
    expect(parseChatLine('/cancel #3')).to.deep.equal({ kind: 'cancel', id: 3 });
    expect(parseChatLine('/cancel all')).to.deep.equal({ kind: 'error', message: 'the number shown on the transfer, as in [3] (/cancel [N])' });
    expect(parseChatLine('/transfers')).to.deep.equal({ kind: 'transfers' });
  });

  it('reads /create --secret anywhere on the line, /whois and /trust with or without @', () => {
    expect(parseChatLine('/create vault --secret')).to.deep.equal({ kind: 'create', room: 'vault', secret: true });
    expect(parseChatLine('/create #vault --SECRET pw')).to.deep.equal({ kind: 'create', room: 'vault', password: 'pw', secret: true });
    expect(parseChatLine('/create vault pw')).to.deep.equal({ kind: 'create', room: 'vault', password: 'pw' });
    const typo = parseChatLine('/create vault --secrte');
    expect(typo.kind === 'error' && typo.message).to.contain('no option --secrte');
    expect(parseChatLine('/whois @bob')).to.deep.equal({ kind: 'whois', name: 'bob' });
    expect(parseChatLine('/trust bob')).to.deep.equal({ kind: 'trust', name: 'bob' });
    const fingerprint = 'SHA256:' + 'A'.repeat(43);
    expect(parseChatLine(`/trust @bob ${fingerprint}`)).to.deep.equal({ kind: 'trust', name: 'bob', fingerprint });
    expect(parseChatLine('/trust bob SHA256:short')).to.deep.include({ kind: 'error' });
    expect(parseChatLine('/trust bob 12:34:56')).to.deep.include({ kind: 'error' });
    expect(parseChatLine('/trust').kind).to.equal('error');
  });

  it('lists every command and alias in /help and for completion', () => {
    expect(COMMAND_NAMES).to.include.members(['/join', '/showgroups', '/displayallusers', '/theme', '/bell', '/export', '/whois', '/trust']);
    expect(helpLines().join('\n')).to.contain('/rooms').and.contain('also /showgroups').and.contain('@USER TEXT');
  });
});
