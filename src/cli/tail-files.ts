// What `parlor tail` does with files offered to it: with --accept-files DIR it receives them there
// (up to --max-file-bytes) and prints each one received; without it, it declines them and says so.

import { mkdirSync } from 'node:fs';
import type { ChatClient } from '../client/chat-client.ts';
import { inertText } from '../shared/inert-text.ts';
import { FileTransfers, DEFAULT_MAX_AUTO_ACCEPT_BYTES } from '../client/transfers/transfers.ts';
import { printJson } from './output.ts';

export interface TailFileFlags {
  acceptFiles?: string;
  maxFileBytes?: number;
  json?: boolean;
}

export function receiveFiles(chat: ChatClient, flags: TailFileFlags): FileTransfers {
  if (flags.acceptFiles !== undefined) mkdirSync(flags.acceptFiles, { recursive: true });
  const files = new FileTransfers(chat, {
    ...(flags.acceptFiles !== undefined && { downloadDir: flags.acceptFiles }),
    maxAutoAcceptBytes: flags.maxFileBytes ?? DEFAULT_MAX_AUTO_ACCEPT_BYTES,
  });
  files.on('declined', (offer, code) => {
    const why = code === 'TRANSFER_TOO_LARGE' ? `it is over ${flags.maxFileBytes ?? DEFAULT_MAX_AUTO_ACCEPT_BYTES} bytes` : 'run with --accept-files DIR to receive files';
    process.stderr.write(inertText(`parlor: declined ${offer.offeredName} (${offer.size} bytes) from ${offer.from}: ${why}`) + '\n');
  });
  files.on('incoming', (transfer) => {
    transfer.done.then(
      (result) => {
        const line = { type: 'file', transfer: result.transfer, from: result.from, ...(transfer.room !== undefined && { room: transfer.room }), name: transfer.offeredName, path: result.path, size: result.size, sha256: result.sha256 };
        if (flags.json) printJson(line);
        else console.log(inertText(`-- ${result.from} sent ${transfer.offeredName} (${result.size} bytes): saved as ${result.path}`));
      },
      (error: { code?: string; message?: string }) => {
        process.stderr.write(inertText(`parlor: ${error.code ?? 'TRANSFER_CANCELLED'}: ${transfer.offeredName} from ${transfer.from}: ${error.message ?? ''}`) + '\n');
      },
    );
  });
  return files;
}
