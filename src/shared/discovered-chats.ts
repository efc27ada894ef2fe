// What the waiting rooms (terminal and web) and `parlor discover` list: chats, not machines. The
// servers of one chat (one PostgreSQL database, docs/protocol.md section 9) advertise the same
// chat id with the same key, so they are listed as ONE chat with several addresses; any other
// server is a chat of its own, with one address. Only the same id AND the same fingerprint group:
// an advert that copies a chat's id under another key is listed apart, never added to that chat.

import type { DiscoveredServer } from '../discovery/discover.ts';
import { formatAddress } from '../options.ts';

/** One server of a listed chat: where it is, and what it said of itself. */
export interface ChatAddress {
  host: string;
  port: number;
  /** HOST:PORT, as people write it. */
  address: string;
  /** Its own name among the chat's servers, when it has one apart from the chat's. */
  server?: string;
  /** People online on that server (from its UDP advert). */
  users?: number;
  sshPort?: number;
  via: string;
}

/**
 * A chat as listed: the first server's advert (where to connect first: `host`, `port`), and every
 * address found for it, first first. `users` is the highest of the servers' counts: each counts
 * the whole chat's people (a person on two servers once), and the newest answer may be a moment
 * ahead of the others; it is absent while no server has said.
 */
export interface ListedChat extends Omit<DiscoveredServer, 'update' | 'server'> {
  addresses: ChatAddress[];
}

/** The key that one chat's servers share: the chat id with the key, or the key alone. */
function chatKey(server: DiscoveredServer): string {
  return server.chat === undefined ? server.fingerprint : `${server.fingerprint}\0${server.chat}`;
}

export class DiscoveredChats {
  private readonly listed: ListedChat[] = [];
  private readonly index = new Map<string, number>();

  /** The chats in the order they were first found. */
  get chats(): readonly ListedChat[] {
    return this.listed;
  }

  /**
   * Takes a server as discovery yields it (a new one, or an update of one): returns its chat's
   * row, and whether the row is new (else it replaces the row of the same index).
   */
  add(server: DiscoveredServer): { row: number; chat: ListedChat; isNew: boolean } {
    const key = chatKey(server);
    const address: ChatAddress = {
      host: server.host,
      port: server.port,
      address: formatAddress(server.host, server.port),
      ...(server.server !== undefined && { server: server.server }),
      ...(server.users !== undefined && { users: server.users }),
      ...(server.sshPort !== undefined && { sshPort: server.sshPort }),
      via: server.via,
    };
    const row = this.index.get(key);
    if (row === undefined) {
      const { update: _update, server: _server, ...fields } = server;
      const chat: ListedChat = { ...fields, addresses: [address] };
      this.index.set(key, this.listed.length);
      this.listed.push(chat);
      return { row: this.listed.length - 1, chat, isNew: true };
    }
    const known = this.listed[row]!;
    // The same server again (a richer answer) replaces its address; another server adds one.
    const addresses = known.addresses.some((a) => a.address === address.address)
      ? known.addresses.map((a) => (a.address === address.address ? address : a))
      : [...known.addresses, address];
    const counts = addresses.flatMap((a) => (a.users === undefined ? [] : [a.users]));
    const { users: _users, ...rest } = known;
    const chat: ListedChat = {
      ...rest,
      ...(counts.length > 0 && { users: Math.max(...counts) }),
      ...(known.password === undefined && server.password !== undefined && { password: server.password }),
      addresses,
    };
    this.listed[row] = chat;
    return { row, chat, isNew: false };
  }

  clear(): void {
    this.listed.length = 0;
    this.index.clear();
  }
}

/** "10.0.1.5:7447 (A), 10.0.2.5:7447 (B)": a chat's addresses on one line. */
export function addressList(chat: ListedChat): string {
  return chat.addresses.map((a) => (a.server === undefined ? a.address : `${a.address} (${a.server})`)).join(', ');
}
