// How a file transfer looks in a conversation: a head line (direction, the number /cancel takes,
// name, size, who) and a line for where it stands (a progress bar with percent, rate and time
// left; the question of an offer over the auto-accept size; who got it; or the error's code).
// The entry is redrawn in place as the transfer moves. Names and messages come from the network:
// they are folded through noticeLines, which makes them inert and escapes blessed's tags.

import { clock, NOTICE_INDENT, noticeLines } from './notice-lines.ts';
import { paint, type Color, type Theme } from '../shared/themes.ts';
import { formatBytes } from '../client/transfers/transfer-progress.ts';

export { formatBytes };
// The line's shape is the board's (src/shared), which both UIs draw.
export type { TransferCounts, TransferLine } from '../shared/transfer-board.ts';
import type { TransferCounts, TransferLine } from '../shared/transfer-board.ts';



const BAR_MIN_CELLS = 6;
const BAR_MAX_CELLS = 20;
const NAME_MAX = 80;

export function transferLines(line: TransferLine, ts: number, theme: Theme, width: number): string[] {
  const room = width - NOTICE_INDENT;
  const head = noticeLines(headText(line), room);
  const body = bodyLines(line, room, theme);
  const color = line.state === 'failed' ? theme.error : line.state === 'asking' ? theme.warning : line.state === 'done' ? theme.ok : theme.accent;
  const arrow = line.direction === 'send' ? '↑ ' : '↓ ';
  return [
    ...head.map((text, i) => `${paint(theme.dim, i === 0 ? clock(ts) : '     ')} ${paint(color, `${i === 0 ? arrow : '  '} ${text}`)}`),
    ...body.map((text) => `${' '.repeat(NOTICE_INDENT)}${text}`),
  ];
}

function headText(line: TransferLine): string {
  const chars = Array.from(line.name);
  const name = chars.length > NAME_MAX ? chars.slice(0, NAME_MAX - 1).join('') + '…' : line.name;
  const who = line.direction === 'send'
    ? line.room !== undefined ? `to #${line.room}` : `to ${line.peer ?? '?'}`
    : line.room !== undefined ? `from ${line.peer ?? '?'} in #${line.room}` : `from ${line.peer ?? '?'}`;
  return `[${line.id}] ${name} · ${formatBytes(line.size)} ${who}`;
}

function bodyLines(line: TransferLine, room: number, theme: Theme): string[] {
  const fold = (text: string, color: Color | undefined) => noticeLines(text, room).map((t) => paint(color, t));
  switch (line.state) {
    case 'preparing':
      return fold('reading the file (SHA-256)…', theme.dim);
    case 'waiting':
      return fold(line.room !== undefined ? `offered to ${line.recipients} in #${line.room}; waiting for answers · /cancel ${line.id}` : `offered; waiting for ${line.peer ?? '?'} to accept · /cancel ${line.id}`, theme.dim);
    case 'asking':
      return fold(`/accept ${line.id} or /decline ${line.id}: it is over your auto-accept size (${formatBytes(line.limit ?? 0)})`, theme.warning).map((t) => `{bold}${t}{/bold}`);
    case 'running': {
      const share = `${percent(line.bytes, line.size)}%`;
      const speed = [`${formatBytes(line.rate)}/s`, ...(line.etaMs === undefined ? [] : [`${formatDuration(line.etaMs)} left`])].join(' · ');
      const bar = (cells: number) => paint(theme.accent, progressBar(line.bytes, line.size, cells));
      // One line with the bar as wide as is left (the /cancel hint where it fits), or at 80
      // columns two: bar and percent, then rate and time left. Never a number cut in two.
      for (const text of [`${share} · ${speed} · /cancel ${line.id}`, `${share} · ${speed}`]) {
        const cells = Math.min(BAR_MAX_CELLS, room - text.length - 1);
        if (cells >= BAR_MIN_CELLS) return [`${bar(cells)} ${text}`];
      }
      return [`${bar(BAR_MAX_CELLS / 2)} ${share}`, paint(theme.dim, speed)];
    }
    case 'done':
      if (line.direction === 'receive') return fold(`saved as ${line.savedPath ?? '?'}`, theme.ok);
      return [...fold(sentText(line), theme.ok), ...missedLines(line).flatMap((t) => fold(t, theme.warning))];
    case 'failed': {
      const error = line.error ?? { code: 'TRANSFER_CANCELLED', message: 'it stopped' };
      // Sent to one user who said no: said with their name (a failure's message names them).
      const refused = line.direction === 'send' && line.room === undefined ? line.outcomes.find((o) => o.status === 'declined') : undefined;
      const text = refused ? `✗ ${refused.name} declined (${error.code})` : `✗ ${error.code}: ${error.message}`;
      // A received file that stopped part way: its temp file was deleted (incoming-transfer.ts).
      const kept = line.direction === 'receive' && error.code !== 'TRANSFER_DECLINED' && error.code !== 'TRANSFER_TOO_LARGE' ? ' · no file was kept' : '';
      return [...fold(`${text}${kept}`, theme.error), ...missedLines(line).flatMap((t) => fold(t, theme.warning))];
    }
  }
}

function sentText(line: TransferLine): string {
  const received = line.outcomes.filter((o) => o.status === 'received').map((o) => o.name);
  if (line.room === undefined) return `✓ sent to ${received[0] ?? line.peer ?? '?'}`;
  return `✓ received by ${received.join(', ')}`;
}

/** In a room, who did not get it and why: one line each. */
function missedLines(line: TransferLine): string[] {
  if (line.room === undefined) return [];
  return line.outcomes.filter((o) => o.status === 'declined' || o.status === 'failed').map((o) => `${o.name} ${o.status}${o.code !== undefined ? ` (${o.code})` : ''}`);
}

function percent(bytes: number, total: number): number {
  return total === 0 ? 100 : Math.floor((bytes / total) * 100);
}

function progressBar(bytes: number, total: number, cells: number): string {
  const filled = total === 0 ? cells : Math.min(cells, Math.floor((bytes / total) * cells));
  return '█'.repeat(filled) + '░'.repeat(cells - filled);
}


/** "4 s", "2 min 5 s", "1 h 20 min": as precise as a glance needs. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** The status bar's part: "↑1 ↓2 ?1", or nothing when no transfer is under way. */
export function transferCountText(counts: TransferCounts | undefined): string {
  if (!counts) return '';
  const parts = [
    ...(counts.sending > 0 ? [`↑${counts.sending}`] : []),
    ...(counts.receiving > 0 ? [`↓${counts.receiving}`] : []),
    ...(counts.asking > 0 ? [`?${counts.asking}`] : []),
  ];
  return parts.length === 0 ? '' : `files ${parts.join(' ')}`;
}
