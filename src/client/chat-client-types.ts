// What ChatClient (chat-client.ts) takes and emits, on their own so that the parts it is built
// from (Reconnection, reconnect.ts) can name them without importing ChatClient itself.

import type { AnnouncementMessage, JoinedMessage, LeftMessage } from '../protocol/messages.ts';
import type { DecodedRecord } from '../protocol/records.ts';
import type { TransferEvent } from '../protocol/transfer-messages.ts';
import type { CloseInfo } from '../transport/secure-connection.ts';
import type { ConnectedServer, ConnectInput } from './client.ts';
import type { DeliveredMessage } from './e2e/e2e.ts';
import type { PeerKeyChange } from './e2e/peer-keys.ts';

/**
 * A joined notice as ChatClient tells it: `returning` when the person was in the room when this
 * client's connection dropped and is back soon after it (returning-members.ts), as after a server
 * restart; UIs show those as the room filling up again rather than as a join each.
 */
export type JoinedNotice = JoinedMessage & { returning: boolean };

export interface ReconnectOptions {
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** The first delay between reconnect attempts; it doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** The longest wait after a reconnect refused because the server is busy (TOO_MANY_CONNECTIONS). */
  maxBusyReconnectDelayMs?: number;
}

export interface ChatClientOptions extends ConnectInput, ReconnectOptions {
  name: string;
  password: string;
  /** At login, close this identity's other sessions (SESSION_REPLACED) instead of adding one more. */
  replace?: boolean;
  /**
   * False for the SSH front door's visitors: the server runs this client and reads what it says,
   * so sealing its DMs would only pretend to be end-to-end. They go as plaintext DMs.
   */
  endToEnd?: boolean;
  /** Told the server's key once the handshake proved it, even if the login then fails. */
  onServerProven?: (server: ConnectedServer) => void;
}

export interface ChatEvents {
  /** Sealed messages arrive opened, with their `e2e` status (rejected ones with their code). */
  message: [message: DeliveredMessage];
  /** Loud: a peer's key is not the one in known_peers. Nothing is sealed to it or believed from it until acceptPeerKey. */
  peerKeyChanged: [change: PeerKeyChange];
  joined: [notice: JoinedNotice];
  left: [notice: LeftMessage];
  /** An operator's notice to everyone online. */
  announcement: [notice: AnnouncementMessage];
  /** The connection dropped; a reconnect follows unless the reason is final. */
  disconnected: [info: CloseInfo];
  reconnecting: [attempt: { attempt: number; delayMs: number }];
  reconnected: [];
  /** For good: closed by the user, or for a reason that reconnecting cannot fix. */
  closed: [info: CloseInfo];
  // File transfer: what FileTransfers (transfers/transfers.ts) listens to.
  transferEvent: [event: TransferEvent];
  transferRecord: [record: DecodedRecord];
}
