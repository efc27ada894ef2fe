// Durability of acknowledged messages: a server acknowledges a message only after its commit, so
// a kill -9 in the middle of heavy sending may lose what was in flight but never what a sender
// saw acknowledged, and a restart from the same --data must not duplicate anything either.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import type { ChatMessage } from '../../src/protocol/messages.ts';
import { connectChat, JOIN_PASSWORD, sleep } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SENDERS = ['alice', 'bob', 'carol'];
/** Requests each sender keeps in flight at once. */
const IN_FLIGHT = 8;
/** The kill comes this long after the first ack, or once this many acks came, whichever is first. */
const SEND_FOR_MS = 1000;
const KILL_AFTER_ACKS = 20_000;
/** A bound on each sending loop, whatever happens to the kill. */
const MAX_SENDS_PER_WORKER = 20_000;

interface Acked {
  id: number;
  text: string;
  from: string;
}

describe('server/durability: kill -9 under load', function () {
  this.timeout(60_000);

  it('a server killed with SIGKILL while 3 clients send: after restart every message that a sender saw acknowledged is in history, none twice', async () => {
    const identities = await sharedIdentities();
    const data = tempDir('durability');
    const args = ['--data', data, '--password', JOIN_PASSWORD, '--rate', '100000', '--burst', '100000'];
    const server = await startServerProcess(args);

    const clients: ChatClient[] = [];
    for (const [index, name] of SENDERS.entries()) {
      const client = await connectChat(server, identities[index]!, name, { fingerprint: server.fingerprint });
      await client.join('lobby');
      clients.push(client);
    }

    const acked: Acked[] = [];
    const failures: unknown[] = [];
    let sent = 0;
    let firstAckAt: number | undefined;
    let stopSending = false;

    const worker = async (client: ChatClient, worker: number): Promise<void> => {
      for (let seq = 0; seq < MAX_SENDS_PER_WORKER && !stopSending; seq++) {
        const text = `${client.name}/${worker}/${seq}`;
        sent++;
        try {
          const { id } = await client.say('lobby', text);
          firstAckAt ??= Date.now();
          acked.push({ id, text, from: client.name });
        } catch (error) {
          failures.push(error);
          return; // The server is gone: this sender's connection is closed.
        }
      }
    };
    const sending = clients.flatMap((client) => Array.from({ length: IN_FLIGHT }, (_, w) => worker(client, w)));

    // Kill while the requests are in flight: no SIGTERM, no flush, no goodbye.
    for (let round = 0; round < 2000; round++) {
      if (acked.length >= KILL_AFTER_ACKS) break;
      if (firstAckAt !== undefined && Date.now() - firstAckAt >= SEND_FOR_MS) break;
      await sleep(5); // polls the two conditions above
    }
    expect(firstAckAt, 'no send was acknowledged before the kill').to.be.a('number');
    await server.stop('SIGKILL');
    await Promise.all(sending);
    stopSending = true;
    for (const client of clients) client.close();

    // Whatever was in flight failed as a closed connection, not as anything else.
    for (const failure of failures) {
      expect(failure).to.be.instanceOf(ParlorError);
      expect((failure as ParlorError).code, (failure as Error).message).to.be.oneOf(['CONNECTION_CLOSED', 'SERVER_SHUTDOWN']);
    }

    const restarted = await startServerProcess(args);
    expect(restarted.fingerprint).to.equal(server.fingerprint);
    const reader = await connectChat(restarted, identities[0]!, 'auditor', { fingerprint: restarted.fingerprint });
    await reader.join('lobby');

    // Page back through the whole room, newest page first.
    const history: ChatMessage[] = [];
    let before: number | undefined;
    for (let page = 0; page < 1000; page++) {
      const reply = await reader.history({ room: 'lobby', limit: 500, ...(before !== undefined && { before }) });
      history.unshift(...reply.messages);
      if (!reply.more || reply.messages.length === 0) break;
      before = reply.messages[0]!.id;
    }
    reader.close();

    const byId = new Map<number, ChatMessage>();
    const duplicateIds: number[] = [];
    for (const message of history) {
      if (byId.has(message.id)) duplicateIds.push(message.id);
      byId.set(message.id, message);
    }
    expect(duplicateIds, 'ids that history holds twice').to.deep.equal([]);
    const texts = history.map((m) => m.text);
    const duplicateTexts = texts.filter((text, index) => texts.indexOf(text) !== index);
    expect(duplicateTexts, 'texts that history holds twice').to.deep.equal([]);
    expect(history.map((m) => m.id), 'history is in id order').to.deep.equal([...byId.keys()].sort((a, b) => a - b));

    const missing = acked.filter((a) => !byId.has(a.id));
    expect(missing.length, `acknowledged but lost: ${JSON.stringify(missing.slice(0, 5))}`).to.equal(0);
    for (const ack of acked) {
      const stored = byId.get(ack.id)!;
      expect({ id: stored.id, text: stored.text, from: stored.from, room: stored.room }).to.deep.equal({ id: ack.id, text: ack.text, from: ack.from, room: 'lobby' });
    }
    // Anything beyond the acks was committed but its ack never left: at most what was in flight.
    const unacked = history.length - acked.length;
    expect(unacked).to.be.within(0, SENDERS.length * IN_FLIGHT);

    console.log(
      `      ${acked.length} acks before the kill (${sent} sends started, ${failures.length} failed with the kill); ` +
        `history after restart: ${history.length} messages, ${unacked} committed without their ack reaching the sender`,
    );
  });
});
