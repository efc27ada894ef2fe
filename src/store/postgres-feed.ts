// How the servers of one chat hear each other: NOTIFY on one channel names what changed (a
// message id, a row of a small table), and the data is then read from the tables by id. A server
// that missed notifications (it restarted, or its connection to the database dropped) reads on
// from the last id it delivered, so every message is delivered once and in id order.
//
// Ids are in commit order because every append takes one transaction-scoped advisory lock
// (postgres-store.ts): a message visible at id n means every message below n is visible too.

import pg from 'pg';
import type { ClusterNotice } from './cluster-link.ts';
import type { StoredMessage } from './store.ts';

export const CHANNEL = 'parlor';

/** A notification's payload: who sent it, and either the highest message id or one changed row. */
export interface Change {
  /** The server that made the change. */
  s: string;
  /** The highest message id its commit made. */
  m?: number;
  /** A changed row of a small table (or of `online`: postgres-presence.ts): its table and key. */
  t?: 'user' | 'room' | 'block' | 'ban' | 'key' | 'secret' | 'release' | 'online';
  k?: string;
  /** A notice for the other servers (cluster-link.ts). */
  n?: ClusterNotice;
}

/** The LISTEN side: one connection of its own, reconnected with a growing pause when it drops. */
export class ChangeListener {
  private client: pg.Client | undefined;
  private closed = false;
  private pauseMs = 100;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onChange: (change: Change) => void,
    /** After every (re)connection: what was missed meanwhile must be read again. */
    private readonly onConnected: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (notification) => {
      if (notification.channel !== CHANNEL || notification.payload === undefined) return;
      try {
        this.onChange(JSON.parse(notification.payload) as Change);
      } catch {
        // Not ours (another program on the channel): ignored.
      }
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners('error');
      client.on('error', () => {});
      void client.end().catch(() => {});
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.pauseMs = 100;
    if (this.closed) return this.close();
    this.onConnected();
  }

  private reconnectLater(): void {
    if (this.closed) return;
    setTimeout(() => {
      this.start().catch(() => this.reconnectLater());
    }, this.pauseMs).unref();
    this.pauseMs = Math.min(this.pauseMs * 2, 2000);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

/**
 * Delivers every committed message once, in id order: this server's own straight from its commit
 * when nothing is missing before it, the rest read from the table.
 */
export class MessagePump {
  private readonly listeners: Array<(messages: StoredMessage[]) => void> = [];
  /** This server's own commits not delivered yet, by id. */
  private readonly own = new Map<number, StoredMessage>();
  /** The highest id known to be committed (own commits, notifications). */
  private known: number;
  private running = false;
  private again = false;
  /** This server's appends whose commit has not answered yet. */
  private inFlight = 0;

  constructor(
    /** The last id delivered: messages from before this server started are history, not news. */
    private delivered: number,
    private readonly readAfter: (id: number) => Promise<Array<{ message: StoredMessage; mine: boolean }>>,
  ) {
    this.known = delivered;
  }

  /**
   * An append of this server's starts (+1) or has answered (-1). While one is out, a message of
   * this server read from the table waits for its commit's answer (committedHere): that answer
   * tells the server whose it is, so its sender is not sent it back.
   */
  appending(change: 1 | -1): void {
    this.inFlight += change;
    if (this.inFlight === 0 && this.delivered < this.known) setImmediate(() => void this.run());
  }

  subscribe(deliver: (messages: StoredMessage[]) => void): void {
    this.listeners.push(deliver);
  }

  /** Set before the batch's listeners run, which run at once: never ahead of what went out. */
  get lastDelivered(): number {
    return this.delivered;
  }

  committedHere(messages: StoredMessage[]): void {
    // Already read from the table (another server's notification came first): delivered then.
    for (const message of messages) if (message.id > this.delivered) this.own.set(message.id, message);
    this.heard(Math.max(...messages.map((message) => message.id)));
  }

  /** A notification (or a reconnection, with Infinity: read whatever there is). */
  heard(id: number): void {
    // Nothing new to deliver: unless it is a commit of this server's not delivered yet.
    if (id <= this.delivered) return;
    this.known = Math.max(this.known, id);
    // After the callbacks of the commit that woke it (acks go out before deliveries).
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        while (this.delivered < this.known) {
          const batch: StoredMessage[] = [];
          for (let next = this.own.get(this.delivered + 1); next; next = this.own.get(this.delivered + 1)) {
            this.own.delete(next.id);
            batch.push(next);
            this.delivered = next.id;
          }
          if (batch.length === 0) {
            const rows = await this.readAfter(this.delivered);
            if (rows.length === 0) {
              // Ids a rolled-back insert used are never filled: nothing more is committed now.
              if (this.known !== Infinity) this.known = this.delivered;
              break;
            }
            for (const { message, mine } of rows) {
              if (this.own.has(message.id)) {
                this.own.delete(message.id);
              } else if (mine && this.inFlight > 0) {
                break; // Its commit's answer is on its way: delivered from there (committedHere).
              }
              batch.push(message);
              this.delivered = message.id;
            }
            if (batch.length === 0) break;
          }
          for (const deliver of this.listeners) deliver(batch);
        }
        if (this.known === Infinity) this.known = this.delivered;
      } while (this.again);
    } catch {
      // The database went away: the listener's reconnection reads on from `delivered`.
    } finally {
      this.running = false;
    }
  }
}
