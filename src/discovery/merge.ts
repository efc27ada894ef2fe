// Answers for one server come by several paths (each broadcast target, a scan, mDNS) and do not
// all carry the same fields: mDNS has no count of users online, the UDP advert does. The first
// answer is shown at once; a later one that adds what the first lacked updates it, so a server
// that mDNS found first does not stay "users unknown" once its broadcast answer is in.

import type { DiscoveredServer } from './discover.ts';

/** The fields a later answer may fill in when the first one lacked them. */
const FILLED_LATER = ['users', 'password'] as const;

/**
 * Which answers are one server: those of one fingerprint, unless they carry a chat id. The servers
 * of one chat share their key (docs/protocol.md section 9), so each of them is told apart by its
 * address too, and yielded on its own (src/shared/discovered-chats.ts lists them as one chat).
 */
function serverKey(answer: DiscoveredServer): string {
  return answer.chat === undefined ? answer.fingerprint : `${answer.fingerprint} ${answer.chat} ${answer.host} ${answer.port}`;
}

export class DiscoveredServers {
  private readonly byKey = new Map<string, DiscoveredServer>();

  /**
   * Takes one answer: 'new' for the first of its server, 'updated' when it added a field the
   * server lacked (the merged server is then `get(answer)`), undefined for a duplicate.
   */
  accept(answer: DiscoveredServer): 'new' | 'updated' | undefined {
    const known = this.byKey.get(serverKey(answer));
    if (!known) {
      this.byKey.set(serverKey(answer), answer);
      return 'new';
    }
    const added = FILLED_LATER.filter((field) => known[field] === undefined && answer[field] !== undefined);
    if (added.length === 0) return undefined;
    // Where to connect stays the first answer's; `via` says both paths.
    const merged: DiscoveredServer = { ...known, via: `${known.via}, then ${answer.via}` };
    for (const field of added) Object.assign(merged, { [field]: answer[field] });
    this.byKey.set(serverKey(answer), merged);
    return 'updated';
  }

  /** The merged server that this answer belongs to. */
  get(answer: DiscoveredServer): DiscoveredServer | undefined {
    return this.byKey.get(serverKey(answer));
  }
}
