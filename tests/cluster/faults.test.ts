// A chat on three servers and one database, under the faults it is built to survive: a server
// killed (-9) while everyone talks, and the database stopped for a few seconds under load. Every
// message a sender saw acknowledged is in the history once; nothing that was not stored was
// acknowledged; the clients of the killed server carry on through another one and catch up.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { connectChat, sleep, waitUntil } from '../helpers/chat-clients.ts';
import { collect } from '../helpers/chat-world.ts';
import { startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase, startPostgres } from '../helpers/postgres.ts';

const RECONNECT = { reconnect: true, reconnectDelayMs: 100, maxReconnectDelayMs: 400 };

/** Sends `count` room messages, one after another, until `stopAt`; the ids acknowledged. */
async function talk(client: ChatClient, label: string, count: number, stopAt: number, failures: string[]): Promise<number[]> {
  const acked: number[] = [];
  for (let i = 0; i < count && Date.now() < stopAt; i++) {
    try {
      acked.push((await client.say('lobby', `${label} ${i}`)).id);
    } catch (error) {
      failures.push(`${label} ${i}: ${(error as { code?: string }).code}`);
      await sleep(100); // pacing: back off after a refusal, as a person would
    }
    await sleep(15); // pacing: a message every few ms, so the traffic spans the fault
  }
  return acked;
}

/** The whole room history, paged back from the newest (as any client reads it). */
async function wholeHistory(client: ChatClient): Promise<number[]> {
  const ids: number[] = [];
  let before: number | undefined;
  for (let page = 0; page < 100; page++) {
    const { messages, more } = await client.history({ room: 'lobby', limit: 500, ...(before !== undefined && { before }) });
    ids.unshift(...messages.map((m) => m.id));
    if (!more || messages.length === 0) break;
    before = messages[0]!.id;
  }
  return ids;
}

function expectEachOnceInOrder(seen: DeliveredMessage[], expected: number[], who: string): void {
  const ids = seen.map((m) => m.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i), `${who}: delivered twice`).to.deep.equal([]);
  expect(ids, `${who}: in id order`).to.deep.equal([...ids].sort((a, b) => a - b));
  expect(expected.filter((id) => !ids.includes(id)), `${who}: never delivered`).to.deep.equal([]);
}

describe('cluster faults', function () {
  this.timeout(120_000);
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('kill -9 of one server while clients on all three send: every acked message is in history once, and its clients go on through another server', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'faults'), 3);
    const ids = await sharedIdentities();
    const people = await Promise.all(cluster.servers.map((server, index) => connectChat(server, ids[index]!, `p${index}`, RECONNECT)));
    clients.push(...people);
    const seen = people.map((client) => collect(client));
    for (const client of people) await client.join('lobby');
    const reconnected = new Promise<void>((resolve) => people[2]!.once('reconnected', () => resolve()));

    const failures: string[] = [];
    const stopAt = Date.now() + 40_000;
    const sending = people.map((client, index) => talk(client, `p${index}`, 60, stopAt, failures));
    await waitUntil(() => seen[0]!.length >= 20, 'some traffic before the kill', 20_000);
    await cluster.servers[2]!.stop('SIGKILL');
    await reconnected;
    const acked = (await Promise.all(sending)).map((list) => list.sort((a, b) => a - b));
    const all = acked.flat().sort((a, b) => a - b);
    expect(acked[2]!.length, "p2's messages acked before and after its server died").to.be.greaterThan(0);

    const history = await wholeHistory(people[0]!);
    expect(history.filter((id, i) => history.indexOf(id) !== i), 'in history twice').to.deep.equal([]);
    expect(all.filter((id) => !history.includes(id)), 'acked but not in history').to.deep.equal([]);
    // Everyone (p2 through another server now) has every message of the others, once, in order.
    for (const index of [0, 1, 2]) {
      const others = acked.filter((_, sender) => sender !== index).flat();
      await waitUntil(() => others.every((id) => seen[index]!.some((m) => m.id === id)), `p${index} has every acked message of the others`, 20_000);
      await people[index]!.whoami(); // a round trip: a duplicate on its way would be here by now
      expectEachOnceInOrder(seen[index]!.filter((m) => m.from !== `p${index}`), others, `p${index}`);
    }
    expect(people[2]!.server.address, 'p2 is on a server that is still running').to.not.equal(`127.0.0.1:${cluster.servers[2]!.port}`);
    console.log(`      ${all.length} messages acked across three servers (one killed -9); ${failures.length} refused and retried by their senders`);
  });

  it('stops the database for a few seconds under load: nothing acked is lost, nothing unstored is acked, everything resumes', async function () {
    const postgres = await startPostgres();
    const cluster = await startCluster(postgres.createDatabase('outage'), 2);
    const ids = await sharedIdentities();
    const people = await Promise.all(cluster.servers.map((server, index) => connectChat(server, ids[index]!, `p${index}`, RECONNECT)));
    clients.push(...people);
    const seen = people.map((client) => collect(client));
    for (const client of people) await client.join('lobby');

    const failures: string[] = [];
    const stopAt = Date.now() + 40_000;
    const sending = people.map((client, index) => talk(client, `p${index}`, 80, stopAt, failures));
    await waitUntil(() => seen[0]!.length >= 10, 'some traffic before the outage', 20_000);
    postgres.stop('fast');
    // Down until the servers have refused a message for it.
    await waitUntil(() => failures.some((failure) => failure.endsWith('DATABASE_UNAVAILABLE')), 'a message refused while the database is away', 20_000, () => failures.join(', '));
    postgres.start();
    const acked = await Promise.all(sending);
    const all = acked.flat().sort((a, b) => a - b);
    expect(failures.some((failure) => failure.endsWith('DATABASE_UNAVAILABLE')), `refused while the database was away: ${failures.join(', ')}`).to.equal(true);
    expect(failures.every((failure) => failure.endsWith('DATABASE_UNAVAILABLE')), `only as unavailable: ${failures.join(', ')}`).to.equal(true);

    const history = await wholeHistory(people[0]!);
    expect(history.filter((id, i) => history.indexOf(id) !== i), 'in history twice').to.deep.equal([]);
    expect(all.filter((id) => !history.includes(id)), 'acked but not in history').to.deep.equal([]);
    // Each acked message reached the other person once, in order: the feed resumed.
    for (const index of [0, 1]) {
      const others = acked[1 - index]!;
      await waitUntil(() => others.every((id) => seen[index]!.some((m) => m.id === id)), `p${index} has every acked message of the other`, 20_000);
      await people[index]!.whoami();
      expectEachOnceInOrder(seen[index]!.filter((m) => m.from !== `p${index}`), others, `p${index}`);
    }
    // After the outage, messages flow again on both servers.
    const after = await people[0]!.say('lobby', 'after the outage');
    await waitUntil(() => seen[1]!.some((m) => m.id === after.id), 'a message after the outage, across', 10_000);
    console.log(`      ${all.length} messages acked; ${failures.length} refused as DATABASE_UNAVAILABLE while the database was stopped`);
  });
});
