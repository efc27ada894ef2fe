// The chat room's status line in either UI: where this session is connected, as whom, how far the
// server's key is trusted, and the connection's state as ChatClient's events move it.

import type { ChatClient } from '../client/chat-client.ts';
import type { TransferCounts } from './transfer-board.ts';

export interface ChatStatus {
  serverName: string;
  address: string;
  fingerprint: string;
  trust: string;
  name: string;
  connection: 'connected' | 'reconnecting' | 'closed';
  reconnectAt?: number;
  attempt?: number;
  closedReason?: string;
  hostedPassword?: string;
  transfers?: TransferCounts;
}

/**
 * The status at login. `trust`: what the login room found for a key pinned from the advert
 * (checked against known_servers there).
 */
export function chatStatus(chat: Pick<ChatClient, 'server' | 'name'>, where: { address: string; trust: string | undefined; hostedPassword?: string | undefined }): ChatStatus {
  return {
    serverName: chat.server.name,
    address: where.address,
    fingerprint: chat.server.fingerprint,
    trust: chat.server.trust === 'accepted-new' ? 'new key accepted' : chat.server.trust === 'pinned' ? (where.trust ?? 'pinned') : chat.server.trust,
    name: chat.name,
    connection: 'connected',
    ...(where.hostedPassword !== undefined && { hostedPassword: where.hostedPassword }),
  };
}

/** Moves the status with the connection; call it before the UI's own listeners, which then draw it. */
export function followConnection(chat: ChatClient, status: ChatStatus): void {
  chat.on('disconnected', () => {
    status.connection = 'reconnecting';
  });
  chat.on('reconnecting', ({ attempt, delayMs }) => {
    status.connection = 'reconnecting';
    status.attempt = attempt;
    status.reconnectAt = Date.now() + delayMs;
  });
  chat.on('reconnected', () => {
    status.connection = 'connected';
    // Trusted at login and proved again by this handshake: no longer new.
    if (status.trust === 'new' || status.trust === 'new key accepted') status.trust = 'known';
  });
  chat.on('closed', ({ reason }) => {
    status.connection = 'closed';
    status.closedReason = reason.code;
  });
}
