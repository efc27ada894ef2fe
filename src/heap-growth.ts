// How far V8 lets the old generation grow past what survived the last full collection before it
// starts the next one. parlor moves bytes in Buffers whose memory lives outside the JS heap (a
// file chunk is 256 KiB, sealed and opened at every hop), and V8 counts that memory against the
// old generation's limit once a Buffer outlives a young collection. With V8's own growth factor,
// computed anew after each collection and often near 1.5 for parlor's small heaps (10–20 MB),
// a file transfer fell into a cycle: a full collection every 30–60 ms, each one promoting the
// chunks in flight, which brought on the next. That was a third of the sender's and receiver's CPU
// and half of the server's (1 GiB: 5.2 CPU-s each side, 142 MB/s). At a factor of 4 (V8's own
// ceiling, which it otherwise keeps for heaps that collect cheaply) a transfer sees a handful of
// full collections per GiB instead of ~140. The heap of an idle server holds little garbage, so
// its size barely moves (10,000 idle sessions: 215 → 220 MiB).

import { setFlagsFromString } from 'node:v8';

/** The factor is 1 + percent / 100. */
export const HEAP_GROWING_PERCENT = 300;

const FLAG = '--heap-growing-percent';

let applied = false;

/**
 * Sets the growth factor for this process, once, unless the user chose one on the command line
 * or in NODE_OPTIONS: their choice wins.
 */
export function widenHeapGrowth(): void {
  if (applied) return;
  applied = true;
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(
    (arg) => arg === FLAG || arg.startsWith(`${FLAG}=`) || arg.startsWith('--heap_growing_percent'),
  );
  if (!chosen) setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
}
