import { expect } from 'chai';
import { inertText } from '../../src/shared/inert-text.ts';

describe('client/inert-text', () => {
  it('shows escape sequences, bell, backspace and carriage return in caret notation', () => {
    expect(inertText('\u001b[31mred\u001b[0m')).to.equal('^[[31mred^[[0m');
    expect(inertText('title\u001b]0;pwned\u0007')).to.equal('title^[]0;pwned^G');
    expect(inertText('a\bb\rc\nd\u007f')).to.equal('a^Hb^Mc^Jd^?');
  });

  it('shows C1 controls (8-bit CSI) and bidi or invisible characters as code points', () => {
    expect(inertText('\u009b31m')).to.equal('<U+009B>31m');
    expect(inertText('invoice\u202Efdp.exe')).to.equal('invoice<U+202E>fdp.exe');
    expect(inertText('ad\u200Bmin\u2066x\u2069')).to.equal('ad<U+200B>min<U+2066>x<U+2069>');
  });

  it('leaves ordinary text of any script alone', () => {
    const text = 'héllo 李雷 مرحبا 🍕 tab-free';
    expect(inertText(text)).to.equal(text);
  });
});
