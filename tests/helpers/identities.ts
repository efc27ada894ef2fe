import { generateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';

let cached: Promise<ClientIdentity[]> | undefined;

/** RSA keygen costs ~100 ms each; the tests that need a few identities share these. */
export function sharedIdentities(): Promise<ClientIdentity[]> {
  cached ??= Promise.all([generateClientIdentity(), generateClientIdentity(), generateClientIdentity()]);
  return cached;
}
