// What crosses the WebSocket between the page and the local parlor process, as JSON. The page's
// requests are zod schemas, parsed before use like everything else that crosses a boundary (a
// page is code the user did not write either, and a bug there must not reach ChatClient
// unchecked). The process's events are plain types: the page imports them with `import type`
// only, so no zod and nothing of Node ends up in the bundle.

import { z } from 'zod';
import type { ChatStatus } from '../shared/chat-status.ts';
import type { TransferCounts, TransferLine } from '../shared/transfer-board.ts';

/** Longest line the page may send: a chat line is capped lower by the server anyway. */
const MAX_LINE = 64 * 1024;
const text = (max: number) => z.string().max(max);

export const pageRequestSchema = z.discriminatedUnion('type', [
  /** Look for servers again (the waiting room's "search again"). */
  z.object({ type: z.literal('discover') }),
  /** "Host a server here". */
  z.object({ type: z.literal('host') }),
  /** A server from the list (by its index) or an address typed in the field. */
  z.object({ type: z.literal('pick'), index: z.number().int().min(0).max(10_000) }),
  z.object({ type: z.literal('address'), address: text(300) }),
  z.object({ type: z.literal('login'), name: text(200), password: text(1024), accept: text(10) }),
  /** From the login room back to the waiting room. */
  z.object({ type: z.literal('back') }),
  /** A line typed in the chat room: said, a /command or a !command, as in the terminal UI. */
  z.object({ type: z.literal('line'), text: text(MAX_LINE) }),
  z.object({ type: z.literal('select'), key: text(300) }),
  /** Scrolled to the top: the page before the oldest message held. */
  z.object({ type: z.literal('older'), key: text(300) }),
  /** One press of Tab; `cycle` is what the previous press answered. */
  z.object({
    type: z.literal('complete'),
    line: text(MAX_LINE),
    cycle: z.object({ start: z.number().int().min(0), matches: z.array(text(300)).max(1000), index: z.number().int().min(0) }).optional(),
  }),
  /** The theme menu: the same as /theme NAME. */
  z.object({ type: z.literal('theme'), name: text(40) }),
  z.object({ type: z.literal('transfer'), verb: z.enum(['accept', 'decline', 'cancel']), id: z.number().int().min(1) }),
]);
export type PageRequest = z.infer<typeof pageRequestSchema>;

export type Tone = 'info' | 'error' | 'join' | 'leave' | 'warning' | 'alarm';

/**
 * A transfer's line as the page gets it: the board's (src/shared/transfer-board.ts), without the
 * local path (a saved file is a number to download) and with the error as one line.
 */
export type TransferView = Omit<TransferLine, 'savedPath' | 'outcomes' | 'error'> & { error?: string; download?: string };

/** One line of a conversation as the page draws it. `seq` is unique for the session: updates replace by it. */
export type WebEntry =
  | { seq: number; kind: 'message'; id: number; ts: number; from: string; text: string; own: boolean; mention: boolean; e2e?: 'verified' | 'rejected'; code?: string }
  | { seq: number; kind: 'notice'; ts: number; text: string; tone: Tone }
  /** The bot's answer, seen by this user alone; `link` for !enlightenme. */
  | { seq: number; kind: 'bot'; ts: number; command: string; text: string; link?: string }
  | { seq: number; kind: 'image'; ts: number; command: string; src: string; path: string }
  | { seq: number; kind: 'transfer'; ts: number; transfer: TransferView };

export interface ConversationView {
  key: string;
  kind: 'room' | 'dm';
  name: string;
  unread: number;
  mentioned: boolean;
  secret: boolean;
  more: boolean;
}

export interface ServerView {
  name: string;
  address: string;
  /** A chat on several servers: where its other servers are (the first, `address`, is the one picked). */
  otherAddresses?: string[];
  users?: number;
  fingerprint: string;
  trust: 'known' | 'new' | 'changed';
  /** The server's SSH front door, for people who would rather `ssh -p PORT NAME@HOST`. */
  sshPort?: number;
}

/** The status line: the terminal UI's (src/shared/chat-status.ts), always with the transfer counts. */
export type StatusView = ChatStatus & { transfers: TransferCounts };

export type WebEvent =
  | { type: 'waiting'; searching: boolean; servers: ServerView[]; hints: string[]; message: string }
  | {
      type: 'login';
      serverName: string;
      address: string;
      fingerprint?: string;
      trust: string;
      name: string;
      password: string;
      /** The server's key changed: this text, and login waits for "yes". */
      keyChange?: string;
      busy: boolean;
      errors: { name?: string; password?: string; accept?: string; form?: string };
      hosted?: { password: string; operatorPassword: string };
    }
  | { type: 'chat'; conversations: ConversationView[]; active?: string; members: Array<{ name: string; lastMessageAt: number | null }>; status: StatusView; self: string }
  /** The remembered settings (ui.json, shared with the terminal UI). */
  | { type: 'settings'; theme: string; bell: string }
  /** The whole of a conversation's entries (on select or reconnect of the page), or some to add. */
  | { type: 'entries'; key: string; entries: WebEntry[]; mode: 'reset' | 'append' | 'prepend' }
  | { type: 'entry'; key: string; entry: WebEntry }
  | { type: 'completion'; line: string; cycle?: { start: number; matches: string[]; index: number } }
  /** A desktop notification the page should raise (as /bell says). */
  | { type: 'notify'; title: string; body: string }
  /** /export: the text to download, in the terminal UI's format. */
  | { type: 'download'; name: string; text: string }
  | { type: 'open'; url: string }
  /** A request the process did not take (it failed its schema), with the stable code. */
  | { type: 'refused'; code: string; message: string };
