import { expect } from 'chai';
import { statusText } from '../../src/ui/chat-view.ts';
import { resolveTheme } from '../../src/shared/themes.ts';
import { formatBytes, formatDuration, transferLines, type TransferLine } from '../../src/ui/transfer-view.ts';

const theme = resolveTheme('nord', {});
const plain = (lines: string[]) => lines.map((l) => l.replace(/\{[^{}]*\}/g, '')).join('\n');
const line = (over: Partial<TransferLine>): TransferLine => ({
  id: 3, direction: 'send', name: 'photo.jpg', size: 10 * 1024 * 1024, peer: 'bob', state: 'running', bytes: 0, rate: 0, etaMs: undefined, outcomes: [], recipients: 1, ...over,
});

describe('ui/transfer-view', () => {
  it('draws progress as a bar with percent, rate and time left; the /cancel hint only where it fits', () => {
    const running = line({ bytes: 4 * 1024 * 1024, rate: 2.5 * 1024 * 1024, etaMs: 2400 });
    const wide = plain(transferLines(running, 0, theme, 100));
    expect(wide).to.match(/↑ +\[3\] photo\.jpg · 10\.0 MiB to bob/);
    expect(wide).to.match(/█+░+ 40% · 2\.5 MiB\/s · 3 s left · \/cancel 3/);
    // At 80 columns the message pane has 44: the numbers stay whole, the hint goes.
    const narrow = transferLines(running, 0, theme, 44);
    expect(narrow).to.have.length(2);
    expect(plain(narrow)).to.match(/█+░+ 40% · 2\.5 MiB\/s · 3 s left$/);
    expect(plain(transferLines(running, 0, theme, 30))).to.match(/█+░+ 40%\n +2\.5 MiB\/s · 3 s left$/);
  });

  it('says where each kind of transfer ended: sent, who in a room got it, saved where, or the code and that nothing was kept', () => {
    expect(plain(transferLines(line({ state: 'done', outcomes: [{ name: 'bob', status: 'received' }] }), 0, theme, 100))).to.contain('✓ sent to bob');
    const room = line({ peer: undefined, room: 'dev', state: 'done', outcomes: [{ name: 'bob', status: 'received' }, { name: 'cy', status: 'received' }, { name: 'dee', status: 'declined', code: 'TRANSFER_TOO_LARGE' }] });
    expect(plain(transferLines(room, 0, theme, 100))).to.contain('to #dev').and.contain('✓ received by bob, cy').and.contain('dee declined (TRANSFER_TOO_LARGE)');
    expect(plain(transferLines(line({ state: 'failed', outcomes: [{ name: 'bob', status: 'declined', code: 'TRANSFER_DECLINED' }], error: { code: 'TRANSFER_DECLINED', message: 'declined' } }), 0, theme, 100))).to.contain('✗ bob declined (TRANSFER_DECLINED)');
    const received = line({ direction: 'receive', peer: 'alice', state: 'done', savedPath: '/home/bob/downloads/photo (1).jpg' });
    expect(plain(transferLines(received, 0, theme, 100))).to.contain('from alice').and.contain('saved as /home/bob/downloads/photo (1).jpg');
    const corrupt = line({ direction: 'receive', peer: 'alice', state: 'failed', error: { code: 'TRANSFER_CORRUPT', message: 'the SHA-256 differs' } });
    expect(plain(transferLines(corrupt, 0, theme, 100))).to.contain('✗ TRANSFER_CORRUPT: the SHA-256 differs · no file was kept');
    const asking = line({ direction: 'receive', peer: 'alice', state: 'asking', limit: 1024 });
    expect(plain(transferLines(asking, 0, theme, 100))).to.contain('/accept 3 or /decline 3: it is over your auto-accept size (1.0 KiB)');
  });

  it("shows a sender's hostile name and text inert: no escape, no bidi override, no blessed tag", () => {
    const hostile = line({ direction: 'receive', peer: 'mal{bold}', name: '\u202Egnp.exe\u001b]0;owned\u0007{/}', state: 'failed', error: { code: 'TRANSFER_CANCELLED', message: '\u001b[2J' } });
    const text = transferLines(hostile, 0, theme, 200).join('\n');
    expect(text).not.to.match(/[\u0000-\u0009\u000b-\u001f\u202e]/u);
    expect(text).to.contain('<U+202E>gnp.exe^[]0;owned^G{open}/{close}').and.contain('from mal{open}bold{close}').and.contain('^[[2J');
    // A 1,000-character name is cut, not drawn over the whole pane.
    expect(plain(transferLines(line({ name: 'x'.repeat(1000) }), 0, theme, 100)).length).to.be.below(400);
  });

  it('counts running transfers in the status bar, and offers waiting for an answer', () => {
    const status = { serverName: 'vm', address: '127.0.0.1:1', fingerprint: 'SHA256:abc', trust: 'known', name: 'ada', connection: 'connected' as const };
    expect(plain([statusText(status, theme)])).not.to.contain('files');
    expect(plain([statusText({ ...status, transfers: { sending: 1, receiving: 2, asking: 1 } }, theme)])).to.contain('● connected · files ↑1 ↓2 ?1 · ada');
  });

  it('formats sizes and times as a glance needs them', () => {
    expect([0, 1023, 1024, 1536 * 1024, 3 * 1024 ** 3].map(formatBytes)).to.deep.equal(['0 B', '1023 B', '1.0 KiB', '1.5 MiB', '3.0 GiB']);
    expect([0, 999, 59_000, 61_000, 3_720_000].map(formatDuration)).to.deep.equal(['0 s', '1 s', '59 s', '1 min 1 s', '1 h 2 min']);
  });
});
