// The calls between bench/transfer.ts and its workers (bench/workers/transfer.ts).

export type ToTransferWorker =
  | { type: 'connect'; host: string; port: number; fingerprint: string; name: string; password: string; configDir: string; downloadDir?: string }
  /** Receiver: resolves once the next file has been received, checked and saved. */
  | { type: 'receive' }
  /** Sender: sends a file to a user and resolves once it was received. */
  | { type: 'send'; to: string; path: string }
  | { type: 'exit' };

export type FromTransferWorker =
  | { type: 'connected' }
  | { type: 'received'; path: string; size: number; sha256: string; ms: number }
  /** hashMs: hashing before the offer; transferMs: from the offer to the receiver's confirmation. */
  | { type: 'sent'; size: number; hashMs: number; transferMs: number };
