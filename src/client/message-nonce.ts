// A message's nonce: this client's own key for it (docs/protocol.md). Sent again with the same
// nonce after a dropped connection, the message is stored once; 128 random bits never repeat.

import { randomBytes } from 'node:crypto';

export function messageNonce(): string {
  return randomBytes(16).toString('base64url');
}
