// Look-alike and impersonating names (issue 17 item 14, issue 16's reserved names): the exact
// names the attack used, refused by a real server over real connections, and the rules beneath.

import { expect } from 'chai';
import { inertName } from '../../src/shared/inert-text.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { lookAlikeKeys, reservedLookAlike } from '../../src/protocol/look-alike-names.ts';
import { checkRoomName, checkUserName } from '../../src/server/names.ts';
import { entryLines } from '../../src/ui/chat-view.ts';
import { ConversationList, conversationTitle } from '../../src/shared/conversations.ts';
import { resolveTheme } from '../../src/shared/themes.ts';
import { expectCode, startWorld, type World } from '../helpers/chat-world.ts';

const CYRILLIC_A_LICE = '\u0430lice';
const UKRAINIAN_I_ALICE = 'al\u0456ce';
const INVISIBLE_SUFFIXES = ['\u034f', '\ufe0f', '\u180b', '\u3164'];

describe('security: names', () => {
  describe('the rules', () => {
    it('refuses default-ignorable and blank characters in names and rooms, naming the character', () => {
      for (const suffix of INVISIBLE_SUFFIXES) {
        const error = catchError(() => checkUserName(`alice${suffix}`));
        expect(error.code, suffix).to.equal('NAME_INVALID');
        expect(error.message).to.include(`U+${suffix.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
      }
      for (const blank of ['\u3164', '\u115f', '\u3164\u3164', '\u115f\u115f\u115f']) {
        expect(catchError(() => checkUserName(blank)).code).to.equal('NAME_INVALID');
      }
      expect(catchError(() => checkRoomName('lobby\u034f')).code).to.equal('ROOM_INVALID');
      // Ordinary letters of any script are still names.
      expect(checkUserName('José').key).to.equal('josé');
      expect(checkUserName('Дмитрий').display).to.equal('Дмитрий');
    });

    it('gives look-alikes one key (UTS #39 skeleton, with and without case folding)', () => {
      const alice = lookAlikeKeys('alice');
      for (const alike of [CYRILLIC_A_LICE, UKRAINIAN_I_ALICE, 'ALICE', 'aIice', 'a1ice']) {
        expect(lookAlikeKeys(alike).some((key) => alice.includes(key)), alike).to.equal(true);
      }
      expect(lookAlikeKeys('l\u043ebby')).to.include.members(lookAlikeKeys('lobby'));
      expect(lookAlikeKeys('STRASSE').some((key) => lookAlikeKeys('Straße').includes(key))).to.equal(true);
      expect(lookAlikeKeys('bob').some((key) => alice.includes(key))).to.equal(false);
    });

    it('reserves names that would pass for the server, its bot or its operators, in any case or disguise', () => {
      for (const name of ['bot', 'Server', 'PARLOR', 'system', 'operator', 'admin', 'root', 'moderator', 'parlor-bot', 'Parlor_Bot', '\u0430dmin', 'r00t']) {
        expect(reservedLookAlike(name), name).to.be.a('string');
        expect(catchError(() => checkUserName(name)).code, name).to.equal('NAME_INVALID');
      }
      for (const name of ['ada', 'robot', 'bots', 'serverless', 'rooted']) expect(reservedLookAlike(name), name).to.equal(undefined);
    });

    it('shows invisible characters in a name visibly', () => {
      expect(inertName('alice\u034f')).to.equal('alice<U+034F>');
      expect(inertName('\u3164')).to.equal('<U+3164>');
      expect(inertName('al\u0456ce')).to.equal('al\u0456ce');
      // In the UI: the author of a line, a conversation's title.
      const theme = resolveTheme('nord', {});
      const [line] = entryLines({ kind: 'message', message: { type: 'message', id: 1, from: 'alice\u034f', room: 'lobby', text: 'hi', ts: 0 }, mention: false }, theme, 'bob');
      expect(line).to.contain('alice<U+034F>');
      const model = new ConversationList('bob');
      expect(conversationTitle(model.open('dm', '\u3164'))).to.equal('@<U+3164>');
    });
  });

  describe('on a server', function () {
    this.timeout(60_000);
    let world: World;
    beforeEach(async () => (world = await startWorld({ ephemeral: true })));
    afterEach(async () => world.stop());

    it('refuses the look-alikes of alice that it used to accept beside her', async () => {
      await world.login('alice');
      for (const suffix of INVISIBLE_SUFFIXES) await expectCode(world.login(`alice${suffix}`), 'NAME_INVALID');
      for (const blank of ['\u3164', '\u115f']) await expectCode(world.login(blank), 'NAME_INVALID');
      for (const alike of [CYRILLIC_A_LICE, UKRAINIAN_I_ALICE]) {
        const error = await expectCode(world.login(alike), 'NAME_CONFUSABLE');
        expect(error.message).to.include('looks like alice');
      }
      // Someone else with a name of their own is welcome.
      await world.login('bob');
    });

    it('lets the owner of a name back in, and refuses look-alike rooms', async () => {
      const alice = await world.login('alice');
      alice.close();
      await world.login('alice');
      const bob = await world.login('bob');
      await expectCode(bob.create('lobby\u034f'), 'ROOM_INVALID');
      const error = await expectCode(bob.create('l\u043ebby'), 'NAME_CONFUSABLE');
      expect(error.message).to.include('#lobby');
      await bob.create('vault');
      await expectCode(bob.create('VAULT'), 'ROOM_EXISTS');
      await expectCode(bob.create('v\u0430ult'), 'NAME_CONFUSABLE');
    });

    it('refuses reserved names at login', async () => {
      for (const name of ['bot', 'SERVER', 'parlor', 'system', 'operator', 'parlor-bot']) await expectCode(world.login(name), 'NAME_INVALID');
    });
  });
});

function catchError(run: () => unknown): ParlorError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParlorError) return error;
    throw error;
  }
  throw new Error('expected an error');
}
