// The keys the page knows a conversation by ("room:lobby", "dm:bob"): on their own, so that the
// parts of the web chat (actions, events, transfers) and WebChat itself can all use them without
// importing one another.

import { foldName } from '../protocol/names.ts';

export const roomKey = (room: string): string => `room:${foldName(room.replace(/^#/, ''))}`;
export const dmKey = (user: string): string => `dm:${foldName(user.replace(/^@/, ''))}`;
