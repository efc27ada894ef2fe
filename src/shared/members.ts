// A room's members in name order, for the member list of either UI.

import type { Conversation, Member, PictureEntry } from './conversations.ts';

/** localeCompare's order (the same default collation), without building a collator per comparison. */
const byName = new Intl.Collator().compare;

/**
 * A room's members in name order, sorted again only when they changed (Conversation.membersVersion):
 * the terminal draws the list at each message of every screen, the web client sends it with each
 * change of the conversation list.
 */
const sortedMembers = new WeakMap<Conversation<PictureEntry>, { members: ReadonlyMap<string, Member>; version: number; sorted: Member[] }>();

export function membersByName(conversation: Conversation<PictureEntry>): Member[] {
  const kept = sortedMembers.get(conversation);
  if (kept && kept.members === conversation.members && kept.version === conversation.membersVersion) return kept.sorted;
  const sorted = [...conversation.members.values()].sort((a, b) => byName(a.name, b.name));
  sortedMembers.set(conversation, { members: conversation.members, version: conversation.membersVersion, sorted });
  return sorted;
}
