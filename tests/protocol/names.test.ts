// foldName's ASCII shortcut must fold exactly as the full rule (NFC, lower case, NFC) does: client
// and server look names up by it, so one name folding two ways would split a user or a room.

import { strict as assert } from 'node:assert';
import { foldName } from '../../src/protocol/names.ts';

const fullRule = (raw: string) => raw.normalize('NFC').toLowerCase().normalize('NFC');

describe('protocol/names: foldName', () => {
  it('folds printable ASCII as the full rule does, every character', () => {
    let all = '';
    for (let code = 0x20; code <= 0x7e; code++) all += String.fromCharCode(code);
    assert.equal(foldName(all), fullRule(all));
    assert.equal(foldName('Storm0-12'), 'storm0-12');
    assert.equal(foldName(''), '');
  });

  it('folds names beyond ASCII (composed or not, special cases of lower-casing) as the full rule does', () => {
    for (const name of ['Ada\u0301', 'ÁDA', 'İstanbul', 'ΣΟΦΙΑ', 'Straße', 'ＡＤＡ', 'ada\u00a0lovelace', 'tab\there', 'K\u212a']) {
      assert.equal(foldName(name), fullRule(name), name);
    }
    assert.equal(foldName('Ada\u0301'), foldName('ad\u00e1'));
  });
});
