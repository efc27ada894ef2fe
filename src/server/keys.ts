// The identity keys that end-to-end encryption seals to. The transport already proved that each
// client holds the RSA key it presented, and names are bound to keys (chat.ts); this keeps each
// key by its fingerprint (in the store, so that a DM can be sealed to someone who is away) and
// hands out (name, fingerprint, key) triples. The server vouches for nothing here: clients pin
// what they are given (src/client/e2e/known-peers.ts) and check every signature themselves.

import type { AuthenticatedClient } from '../crypto/server-handshake.ts';
import type { IdentityKey, PeerKey } from '../protocol/messages.ts';
import type { ChatStore, UserRecord } from '../store/store.ts';

/**
 * Identity keys that this process's SSH front door holds for its visitors (src/ssh): whoever talks
 * to such a key talks to the server, which reads it. Keyed by fingerprint, which is unique to a
 * key, so one set serves every server in the process.
 */
export const sshHeldKeys = new Set<string>();

export class KeyDirectory {
  /** Fingerprints already in the store, so a login does not write the same key again. */
  private readonly stored = new Set<string>();

  constructor(private readonly store: ChatStore) {}

  /**
   * Called at login: the key that the name is now bound to. `viaSsh`: this server's SSH front door
   * holds it; a shared store keeps that mark for the chat's other servers.
   */
  remember(client: AuthenticatedClient, viaSsh: boolean): void {
    if (this.stored.has(client.fingerprint)) return;
    const markSsh = viaSsh && this.store.cluster !== undefined;
    const known = this.store.getIdentityKey(client.fingerprint);
    if (!known || (markSsh && known.viaSsh !== true)) {
      this.store.putIdentityKey(client.fingerprint, { exponent: client.exponent, modulus: client.modulus, ...(markSsh && { viaSsh: true }) });
    }
    this.stored.add(client.fingerprint);
  }

  /** Whether a key is held by an SSH front door: this process's, or (a shared store) another server's. */
  heldOverSsh(fingerprint: string): boolean {
    if (sshHeldKeys.has(fingerprint)) return true;
    return this.store.cluster !== undefined && this.store.getIdentityKey(fingerprint)?.viaSsh === true;
  }

  /** A user's key as the store has it, or undefined when the server never saw that user's key. */
  ofUser(user: UserRecord): PeerKey | undefined {
    const key = this.store.getIdentityKey(user.fingerprint);
    return key && { name: user.name, ...wireKey(user.fingerprint, key.exponent, key.modulus, key.viaSsh === true) };
  }

  /** A connected client's key, straight from its handshake. */
  static ofClient(name: string, client: AuthenticatedClient): PeerKey {
    return { name, ...wireKey(client.fingerprint, client.exponent, client.modulus) };
  }
}

/** `viaSsh`: known from the store to be held by another server's front door (a shared store). */
export function wireKey(fingerprint: string, exponent: Buffer, modulus: Buffer, viaSsh = false): IdentityKey {
  return {
    fingerprint,
    exponent: exponent.toString('base64'),
    modulus: modulus.toString('base64'),
    // Not end-to-end: a sender must not believe that sealing to this key keeps the server out.
    ...((viaSsh || sshHeldKeys.has(fingerprint)) && { via: 'ssh' as const }),
  };
}
