// Two connected in-memory streams that look enough like net.Sockets for SecureConnection: the SSH
// front door's visitors reach the chat through the same handshake, sessions and limits as any
// client, without a TCP connection to the server's own port (which would count every SSH user
// against 127.0.0.1's per-address limits and cost two kernel sockets each).

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

class BridgeEnd extends Duplex {
  partner: BridgeEnd | undefined;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {
    super({ allowHalfOpen: false });
  }

  setNoDelay(): this {
    return this;
  }

  override _read(): void {
    // Data is pushed by the partner's writes; nothing to pull.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const partner = this.partner;
    if (!partner || partner.destroyed) {
      callback(new Error('the other end of the bridge is closed'));
      return;
    }
    partner.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.partner?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const partner = this.partner;
    this.partner = undefined;
    if (partner && !partner.destroyed) {
      partner.partner = undefined;
      partner.push(null);
      partner.destroy();
    }
    callback(error);
  }
}

/**
 * A connected pair: `client` for ParlorClient's dial, `server` for ParlorServer's accept. The
 * server end reports the SSH visitor's real address, so per-address limits and the password
 * slow-down apply to the person, not to the loopback.
 */
export function bridgeSocketPair(visitor: { address: string; port: number }): { client: Socket; server: Socket } {
  const client = new BridgeEnd('127.0.0.1', 0);
  const server = new BridgeEnd(visitor.address, visitor.port);
  client.partner = server;
  server.partner = client;
  return { client: client as unknown as Socket, server: server as unknown as Socket };
}
