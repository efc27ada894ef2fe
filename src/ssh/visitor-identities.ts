// Who an SSH visitor is to the chat. A visitor with a key gets one RSA identity of its own, made
// on first visit and kept under the server's data dir: the chat binds names to identity keys, so
// binding the identity to the SSH key binds the name to the SSH key, with the same rules
// (NAME_TAKEN, NAME_RESERVED, bans by key). A guest (no key) gets a fresh identity every time.
// Each visitor's config dir (known peers, UI settings) sits beside its identity.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { CLIENT_IDENTITY_FILE, generateClientIdentity, loadOrCreateClientIdentity, type ClientIdentity } from '../crypto/identity.ts';
import { RetryLaterError } from '../server/limits.ts';
import { sshHeldKeys } from '../server/keys.ts';

export interface VisitorIdentity {
  identity: ClientIdentity;
  configDir: string;
  /** Ends a guest's temporary config dir; nothing for a key holder. */
  release(): void;
  /**
   * After a login that failed (NAME_TAKEN, BANNED, ...): as release, and a key holder's identity
   * made for this very login is removed again, so that keys that never got in leave nothing on disk.
   */
  discard(): void;
}

/**
 * A new visitor's identity is an RSA-2048 key generation, ~0.3 s of CPU on libuv's pool. The join
 * password is advertised on the LAN, so anyone there may ask for one per connection: they are made
 * one at a time, and past a short queue a login is refused with RATE_LIMITED, so that a flood of
 * new keys or guests takes one thread and not the server's every core.
 */
const KEY_GENERATIONS_AT_ONCE = 1;
const KEY_GENERATIONS_QUEUED = 16;
const KEY_GENERATION_RETRY_MS = 2000;

export class VisitorIdentities {
  private readonly root: string;
  private readonly temporary: boolean;
  private readonly keyGenerations = pLimit(KEY_GENERATIONS_AT_ONCE);

  /** `dataDir` null (an --ephemeral server): everything in a temp dir, gone at close. */
  constructor(
    dataDir: string | null,
    private readonly maxQueuedKeyGenerations = KEY_GENERATIONS_QUEUED,
  ) {
    this.temporary = dataDir === null;
    this.root = dataDir === null ? mkdtempSync(join(tmpdir(), 'parlor-ssh-')) : join(dataDir, 'ssh-visitors');
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  /**
   * The fingerprints of identities kept from earlier visits: a DM sealed to one of them while its
   * visitor is away is still read by the server, and its sender must be told so.
   */
  async loadKnown(): Promise<void> {
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'guests') continue;
      const { identity } = await this.forDir(join(this.root, entry.name));
      sshHeldKeys.add(identity.fingerprint);
    }
  }

  /** The identity bound to this SSH public key (its wire blob), made on first use. */
  async forKey(keyBlob: Buffer): Promise<VisitorIdentity> {
    const dir = join(this.root, createHash('sha256').update(keyBlob).digest('hex').slice(0, 32));
    const isNew = !existsSync(join(dir, CLIENT_IDENTITY_FILE));
    const { identity } = isNew ? await this.generating(() => this.forDir(dir)) : await this.forDir(dir);
    sshHeldKeys.add(identity.fingerprint);
    return {
      identity,
      configDir: dir,
      release: () => {},
      discard: () => {
        if (!isNew) return;
        sshHeldKeys.delete(identity.fingerprint);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  async guest(): Promise<VisitorIdentity> {
    const guests = join(this.root, 'guests');
    mkdirSync(guests, { recursive: true, mode: 0o700 });
    const configDir = mkdtempSync(join(guests, 'guest-'));
    let identity: ClientIdentity;
    try {
      identity = await this.generating(() => generateClientIdentity());
    } catch (error) {
      rmSync(configDir, { recursive: true, force: true });
      throw error;
    }
    sshHeldKeys.add(identity.fingerprint);
    const release = (): void => {
      sshHeldKeys.delete(identity.fingerprint);
      rmSync(configDir, { recursive: true, force: true });
    };
    return { identity, configDir, release, discard: release };
  }

  close(): void {
    rmSync(join(this.root, 'guests'), { recursive: true, force: true });
    if (this.temporary) rmSync(this.root, { recursive: true, force: true });
  }

  private generating<T>(make: () => Promise<T>): Promise<T> {
    if (this.keyGenerations.pendingCount >= this.maxQueuedKeyGenerations) {
      return Promise.reject(new RetryLaterError('too many new SSH visitors at once: try again shortly', KEY_GENERATION_RETRY_MS));
    }
    return this.keyGenerations(make);
  }

  private async forDir(dir: string): Promise<{ identity: ClientIdentity }> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return { identity: await loadOrCreateClientIdentity(dir) };
  }
}
