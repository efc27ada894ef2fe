// The keys of the people this client seals to and hears from, with the trust decision made once
// here: a key the server hands out (join, joined, keys, whois) or that signs a message is checked
// against known_peers. A new name is trusted on first use; a changed key is reported (the
// `onChange` callback, which ChatClient turns into its loud `peerKeyChanged` event) and is
// neither sealed to nor believed until the user accepts it.

import type { KeyObject } from 'node:crypto';
import type { RecipientKey } from '../../crypto/e2e-envelope.ts';
import { rsaFingerprint } from '../../crypto/fingerprint.ts';
import { importRsaPublic, type RsaPublicParts } from '../../crypto/raw-keys.ts';
import { ParlorError } from '../../protocol/errors.ts';
import type { IdentityKey } from '../../protocol/messages.ts';
import { foldName } from '../../protocol/names.ts';
import { KnownPeers, peerKeyChangedText } from './known-peers.ts';

export interface PeerKeyChange {
  name: string;
  /** The fingerprint in known_peers. */
  trusted: string;
  /** The fingerprint the server (or a message) now presents. */
  presented: string;
  /** A ready-made warning for a person, with what to do. */
  warning: string;
}

interface Pending {
  fingerprint: string;
  key: KeyObject;
}

export class PeerKeys {
  readonly known: KnownPeers;
  /** Imported keys by fingerprint: a room's members sign many messages each. */
  private readonly imported = new Map<string, KeyObject>();
  /** Keys that differ from known_peers, by folded name, waiting for the user's decision. */
  private readonly pending = new Map<string, Pending>();

  constructor(
    configDir: string,
    serverFingerprint: string,
    private readonly onChange: (change: PeerKeyChange) => void,
  ) {
    this.known = new KnownPeers(configDir, serverFingerprint);
  }

  /** A key from the wire, checked for shape and fingerprint; throws E2E_MALFORMED if it lies. */
  static parseWireKey(key: IdentityKey): { fingerprint: string; parts: RsaPublicParts } {
    const parts = { exponent: Buffer.from(key.exponent, 'base64'), modulus: Buffer.from(key.modulus, 'base64') };
    const fingerprint = rsaFingerprint(parts.exponent, parts.modulus);
    if (fingerprint !== key.fingerprint) throw new ParlorError('E2E_MALFORMED', `a key handed out for a peer does not match its fingerprint`);
    return { fingerprint, parts };
  }

  /**
   * The key to seal to for this name, if it is trusted (known, or new and now remembered).
   * Throws E2E_PEER_KEY_CHANGED, after reporting the change, if it differs from known_peers.
   */
  trust(name: string, fingerprint: string, parts: RsaPublicParts): RecipientKey {
    const key = this.importKey(fingerprint, parts);
    const state = this.known.check(name, fingerprint);
    if (state.state === 'new') this.known.remember(name, fingerprint);
    if (state.state === 'changed') {
      const folded = foldName(name);
      const already = this.pending.get(folded);
      this.pending.set(folded, { fingerprint, key });
      const warning = peerKeyChangedText(name, state.trusted, fingerprint, this.known.path, state.line);
      if (already?.fingerprint !== fingerprint) this.onChange({ name, trusted: state.trusted, presented: fingerprint, warning });
      throw new ParlorError('E2E_PEER_KEY_CHANGED', warning);
    }
    return { fingerprint, key };
  }

  /** The user compared fingerprints and accepts the key this name now presents. */
  accept(name: string, fingerprint?: string): boolean {
    const folded = foldName(name);
    const pending = this.pending.get(folded);
    const chosen = fingerprint ?? pending?.fingerprint;
    if (chosen === undefined) return false;
    this.known.remember(name, chosen);
    this.pending.delete(folded);
    return true;
  }

  /** What known_peers says about this name and key, without remembering or reporting anything. */
  trustOf(name: string, fingerprint: string): 'known' | 'new' | 'changed' {
    return this.known.check(name, fingerprint).state;
  }

  private importKey(fingerprint: string, parts: RsaPublicParts): KeyObject {
    let key = this.imported.get(fingerprint);
    if (!key) {
      try {
        key = importRsaPublic(parts);
      } catch (cause) {
        throw new ParlorError('E2E_MALFORMED', 'a peer key that is not a valid RSA key', { cause });
      }
      if (this.imported.size > 10_000) this.imported.clear();
      this.imported.set(fingerprint, key);
    }
    return key;
  }
}
