// Paging one direct conversation (`history {with}`), exactly the case issue 16 found: a busy
// conversation with one user must not hide a quieter one with another. Both stores.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { startWorld, type World } from '../helpers/chat-world.ts';

/** Pages a conversation back from the newest, as PageUp does; returns the pages' texts and `more`s. */
async function pageBack(client: ChatClient, other: string, limit: number): Promise<Array<{ texts: string[]; more: boolean }>> {
  const pages: Array<{ texts: string[]; more: boolean }> = [];
  let before: number | undefined;
  for (let round = 0; round < 100; round++) {
    const page = await client.history({ with: other, limit, ...(before !== undefined && { before }) });
    pages.push({ texts: page.messages.map((m) => m.text), more: page.more });
    if (!page.more || page.messages.length === 0) break;
    before = page.messages[0]!.id;
  }
  return pages;
}

for (const ephemeral of [false, true]) {
  describe(`server/direct history (${ephemeral ? 'memory' : 'sqlite'} store)`, () => {
    let world: World;
    afterEach(async () => world?.stop());

    it('after 600 DMs with cy, the thread with bob still pages: more only while there is more', async function () {
      this.timeout(120_000);
      world = await startWorld({ ephemeral });
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      await world.login('cy');
      const withBob: string[] = [];
      for (let i = 0; i < 25; i++) {
        const text = `bob ${i}`;
        withBob.push(text);
        if (i % 3 === 0) await bob.dm('ada', text);
        else await ada.dm('bob', text);
      }
      for (let i = 0; i < 600; i++) await ada.dm('cy', `cy ${i}`);

      const whole = await ada.history({ with: 'bob' });
      expect(whole.messages.map((m) => m.text)).to.deep.equal(withBob);
      expect(whole.more).to.equal(false);

      const pages = await pageBack(ada, 'bob', 10);
      expect(pages.map((p) => p.texts.length)).to.deep.equal([10, 10, 5]);
      expect(pages.map((p) => p.more)).to.deep.equal([true, true, false]);
      expect(pages.reverse().flatMap((p) => p.texts)).to.deep.equal(withBob);

      // Exactly a page's worth: no phantom "more" on the last page.
      const exact = await pageBack(bob, 'ada', 25);
      expect(exact.map((p) => p.more)).to.deep.equal([false]);
      expect(exact[0]!.texts).to.deep.equal(withBob);

      const cy = await pageBack(ada, 'cy', 500);
      expect(cy.map((p) => p.texts.length)).to.deep.equal([500, 100]);
      expect(cy.map((p) => p.more)).to.deep.equal([true, false]);
    });
  });
}
