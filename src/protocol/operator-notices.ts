// How operators' actions are said, in one place. A kick or a ban: the server closes the removed
// user's connection with these words, and the room's clients (the UI, `parlor tail`) say the same
// from the `left` notice. A released name: said to that name's next login.

export interface RemovalNotice {
  action: 'kicked' | 'banned';
  by: string;
  /** '' when the operator gave none. */
  reason: string;
}

/** A `left` notice in words: "bob left #ops", or "bob was kicked by ada: flooding" for a kick or ban. */
export function departureWords(left: { name: string; room: string; reason: 'left' | 'disconnected'; moderation?: RemovalNotice | undefined }): string {
  if (left.moderation) return removalWords(left.name, left.moderation);
  return `${left.name} ${left.reason === 'left' ? 'left' : 'disconnected from'} #${left.room}`;
}

/** "bob was kicked by ada: flooding" (without ": …" when no reason was given). */
export function removalWords(name: string, removal: RemovalNotice): string {
  return `${name} was ${removal.action} by ${removal.by}${removal.reason === '' ? '' : `: ${removal.reason}`}`;
}

/** To the name's next login after an operator's `!release`. */
export function releaseWords(name: string, released: { by: string; at: number }): string {
  const day = new Date(released.at).toISOString().slice(0, 10);
  return `the name ${name} was released by an operator (${released.by}) on ${day}: it is bound to the key you logged in with now`;
}
