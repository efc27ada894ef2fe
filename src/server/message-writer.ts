// Group commit: every message accepted in one event-loop turn is written in one transaction, and
// only then acknowledged and delivered. A sender that saw its ack knows the message is on disk;
// and one transaction per turn instead of per message keeps SQLite off the hot path of fan-out.
//
// A message that comes with the sender's nonce, and that this sender already stored (or queued)
// with it, is not stored again: it is a retry after a dropped connection, and is only acknowledged
// again, with the first one's id.

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
  /** Retries of this one that came while it waited in the queue. */
  repeats: WriteCallbacks[];
}

export class MessageWriter {
  private queue: Pending[] = [];
  /** Queued messages that carry a nonce, by sender and nonce. */
  private readonly queuedByNonce = new Map<string, Pending>();
  private scheduled = false;

  constructor(private readonly store: ChatStore) {}

  write(message: NewMessage, callbacks: WriteCallbacks): void {
    if (message.nonce !== undefined) {
      const key = `${message.from}\0${message.nonce}`;
      const queued = this.queuedByNonce.get(key);
      if (queued) {
        queued.repeats.push(callbacks);
        return;
      }
      const stored = this.store.findByNonce(message.from, message.nonce);
      if (stored) {
        callbacks.repeated(stored);
        return;
      }
      const pending: Pending = { message, callbacks, repeats: [] };
      this.queuedByNonce.set(key, pending);
      this.enqueue(pending);
      return;
    }
    this.enqueue({ message, callbacks, repeats: [] });
  }

  /** Writes what is queued now; also called at shutdown so nothing accepted is left behind. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedByNonce.clear();
    let stored: StoredMessage[];
    try {
      stored = this.store.appendMessages(batch.map((pending) => pending.message));
    } catch (error) {
      for (const pending of batch) {
        pending.callbacks.failed(error);
        for (const repeat of pending.repeats) repeat.failed(error);
      }
      return;
    }
    batch.forEach((pending, index) => {
      pending.callbacks.committed(stored[index]!);
      for (const repeat of pending.repeats) repeat.repeated(stored[index]!);
    });
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}
