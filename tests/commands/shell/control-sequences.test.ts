// Output of `!shell` reaches other people's terminals as plain text: no escape sequence and no
// control character but newline and tab may survive, and the cap must not cut a character in half.

import { expect } from 'chai';
import fc from 'fast-check';
import { capUtf8, stripControlSequences } from '../../../src/commands/shell/control-sequences.ts';

const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('stripControlSequences', () => {
  it('removes CSI, OSC, DCS, APC, two-byte escapes and their 8-bit forms, and keeps the text around them', () => {
    const cases: Array<[string, string]> = [
      ['\u001b[31mred\u001b[0m', 'red'],
      ['\u001b[2J\u001b[H\u001b[?25lclear', 'clear'],
      ['\u001b]0;evil title\u0007after', 'after'],
      ['\u001b]52;c;aGVsbG8=\u001b\\clip', 'clip'],
      ['\u001bP1$r0m\u001b\\dcs', 'dcs'],
      ['\u001b_apc\u001b\\x', 'x'],
      ['\u001bcreset', 'reset'],
      ['\u001b(Bcharset', 'charset'],
      ['\u009b31m8bit\u009d0;t\u009cend', '8bitend'],
      ['over\rwrite', 'overwrite'],
      ['bell\u0007 back\bspace del\u007f', 'bell backspace del'],
      ['\u001b]8;;http://evil/\u001b\\link\u001b]8;;\u001b\\', 'link'],
      ['unterminated \u001b]0;swallows the rest', 'unterminated '],
      ['tab\tand\nnewline stay', 'tab\tand\nnewline stay'],
      ['é ☃ 漢字 🙂', 'é ☃ 漢字 🙂'],
    ];
    for (const [input, expected] of cases) expect(stripControlSequences(input), JSON.stringify(input)).to.equal(expected);
  });

  it('leaves no control character but newline and tab, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const output = stripControlSequences(input);
        expect(output).not.to.match(FORBIDDEN);
        expect(stripControlSequences(output)).to.equal(output);
      }),
      { numRuns: 500 },
    );
  });

  it('changes no text that has no control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (input) => {
        fc.pre(!FORBIDDEN.test(input) && !input.includes('\u001b'));
        expect(stripControlSequences(input)).to.equal(input);
      }),
    );
  });
});

describe('capUtf8', () => {
  it('keeps short text whole and cuts long text on a character boundary', () => {
    expect(capUtf8('hello', 5)).to.deep.equal({ text: 'hello', truncated: false });
    expect(capUtf8('hello!', 5)).to.deep.equal({ text: 'hello', truncated: true });
    expect(capUtf8('aé', 2)).to.deep.equal({ text: 'a', truncated: true });
    expect(capUtf8('a🙂', 4)).to.deep.equal({ text: 'a', truncated: true });
  });

  it('never returns more bytes than asked, nor a broken character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.nat(200), (input, max) => {
        const { text, truncated } = capUtf8(input, max);
        expect(Buffer.byteLength(text)).to.be.at.most(max);
        expect(input.startsWith(text)).to.equal(true);
        expect(truncated).to.equal(Buffer.byteLength(input) > max);
      }),
    );
  });
});
