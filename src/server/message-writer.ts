// Group commit: every message accepted in one event-loop turn is written in one transaction, and
// only then acknowledged and delivered. A sender that saw its ack knows the message is on disk;
// and one transaction per turn instead of per message keeps SQLite off the hot path of fan-out.
//
// A message that comes with a nonce its sender already used, before or in the same turn, is a
// retry after a dropped connection: the store keeps the first one only (ChatStore.appendMessages),
// and the retry is acknowledged again with the first one's id, and delivered to no one.
//
// A store that answers later (PostgreSQL) has one batch in flight at a time: what comes meanwhile
// waits for the next batch, so batches commit, and are acknowledged, in the order they were sent.

import type { ChatStore, NewMessage, StoredMessage } from '../store/store.ts';

export interface WriteCallbacks {
  /** Stored: acknowledge it, and deliver it. */
  committed: (stored: StoredMessage) => void;
  failed: (error: unknown) => void;
  /** A retry of a message stored before: acknowledge it again, deliver nothing. */
  repeated: (stored: StoredMessage) => void;
}

interface Pending {
  message: NewMessage;
  callbacks: WriteCallbacks;
}

export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** A batch written to a store that answers later, until it answered. */
  private inFlight: Promise<void> | undefined;

  constructor(private readonly store: ChatStore) {}

  write(message: NewMessage, callbacks: WriteCallbacks): void {
    this.queue.push({ message, callbacks });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now; also called at shutdown so nothing accepted is left behind. */
  flush(): void {
    this.scheduled = false;
    if (this.inFlight) return;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let stored: StoredMessage[] | Promise<StoredMessage[]>;
    try {
      stored = this.store.appendMessages(batch.map((pending) => pending.message));
    } catch (error) {
      for (const pending of batch) pending.callbacks.failed(error);
      return;
    }
    if (!(stored instanceof Promise)) return report(batch, stored);
    this.inFlight = stored.then(
      (rows) => report(batch, rows),
      (error: unknown) => {
        for (const pending of batch) pending.callbacks.failed(error);
      },
    ).finally(() => {
      this.inFlight = undefined;
      this.flush();
    });
  }

  /** Resolves once nothing accepted is still waiting for its commit (at shutdown). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight) await this.inFlight;
  }
}

function report(batch: Pending[], stored: StoredMessage[]): void {
  batch.forEach((pending, index) => {
    const message = stored[index]!;
    if (message.repeated) pending.callbacks.repeated(message);
    else pending.callbacks.committed(message);
  });
}
