// One side of bench/transfer.ts, as its own process (a user on their own machine): a ChatClient
// with FileTransfers that either sends a file or receives one into a downloads dir.

import { performance } from 'node:perf_hooks';
import { ChatClient } from '../../src/client/chat-client.ts';
import { FileTransfers, type IncomingTransfer } from '../../src/client/transfers/transfers.ts';
import { loadOrCreateClientIdentity } from '../../src/crypto/identity.ts';
import type { FromTransferWorker, ToTransferWorker } from '../lib/transfer-messages.ts';
import { serveWorker } from '../lib/worker-process.ts';

let files: FileTransfers | undefined;
const arrived: IncomingTransfer[] = [];
let onArrival: ((transfer: IncomingTransfer) => void) | undefined;

serveWorker<ToTransferWorker, FromTransferWorker>('bench/workers/transfer.ts', async (message) => {
  switch (message.type) {
    case 'connect': {
      const chat = await ChatClient.connect({
        host: message.host,
        port: message.port,
        fingerprint: message.fingerprint,
        configDir: message.configDir,
        identity: await loadOrCreateClientIdentity(message.configDir),
        name: message.name,
        password: message.password,
        reconnect: false,
      });
      files = new FileTransfers(chat, message.downloadDir === undefined ? {} : { downloadDir: message.downloadDir, maxAutoAcceptBytes: 2 ** 40 });
      files.on('incoming', (transfer) => (onArrival ? onArrival(transfer) : arrived.push(transfer)));
      return { type: 'connected' };
    }
    case 'receive': {
      const transfer = arrived.shift() ?? (await new Promise<IncomingTransfer>((resolve) => (onArrival = resolve)));
      onArrival = undefined;
      const startedAt = performance.now();
      const result = await transfer.done;
      return { type: 'received', path: result.path, size: result.size, sha256: result.sha256, ms: performance.now() - startedAt };
    }
    case 'send': {
      const startedAt = performance.now();
      let offeredAt = startedAt;
      const sending = files!.send({ to: message.to }, message.path);
      sending.once('offered', () => (offeredAt = performance.now()));
      const result = await sending.done;
      return { type: 'sent', size: result.size, hashMs: offeredAt - startedAt, transferMs: performance.now() - offeredAt };
    }
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
