// Group commit: every message accepted in one event-loop turn is written in one transaction, and
// only then acknowledged and delivered. A sender that saw its ack knows the message is on disk;
// and one transaction per turn instead of per message keeps SQLite off the hot path of fan-out.

import type { ChatStore, NewMessage, StoredMessage } from '../store/store.ts';

interface Pending {
  message: NewMessage;
  committed: (stored: StoredMessage) => void;
  failed: (error: unknown) => void;
}

export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: ChatStore) {}

  write(message: NewMessage, committed: Pending['committed'], failed: Pending['failed']): void {
    this.queue.push({ message, committed, failed });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now; also called at shutdown so nothing accepted is left behind. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let stored: StoredMessage[];
    try {
      stored = this.store.appendMessages(batch.map((pending) => pending.message));
    } catch (error) {
      for (const pending of batch) pending.failed(error);
      return;
    }
    batch.forEach((pending, index) => pending.committed(stored[index]!));
  }
}
