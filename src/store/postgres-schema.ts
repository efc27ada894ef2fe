// The PostgreSQL schema, as migrations applied at start (as SQLite's are). Several servers may
// start at the same moment on one database: a session-level advisory lock lets one migrate while
// the others wait, and each migration is recorded in parlor_schema, whose primary key would refuse
// a second run of the same version.

import type pg from 'pg';

/** The key of the advisory lock held while migrating (any fixed number; "parlor" in ASCII). */
const MIGRATION_LOCK = 0x7061726c6f72;

export const POSTGRES_MIGRATIONS: string[] = [
  `CREATE TABLE users (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     last_seen BIGINT NOT NULL,
     last_message_at BIGINT
   );
   CREATE TABLE rooms (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT,
     created_by TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE messages (
     id BIGSERIAL PRIMARY KEY,
     room TEXT,
     recipient TEXT,
     sender TEXT NOT NULL,
     text TEXT NOT NULL,
     ts BIGINT NOT NULL,
     sealed TEXT,
     nonce TEXT,
     -- The server that stored it: its own messages it delivers from its commit, with the sender known.
     origin TEXT
   );
   CREATE INDEX messages_by_room ON messages (room, id) WHERE room IS NOT NULL;
   CREATE INDEX messages_by_recipient ON messages (recipient, id) WHERE room IS NULL;
   CREATE INDEX messages_by_direct_sender ON messages (sender, id) WHERE room IS NULL;
   CREATE INDEX messages_by_direct_pair ON messages (sender, recipient, id) WHERE room IS NULL;
   CREATE UNIQUE INDEX messages_by_nonce ON messages (sender, nonce) WHERE nonce IS NOT NULL;
   CREATE TABLE blocks (blocker TEXT NOT NULL, blocked TEXT NOT NULL, PRIMARY KEY (blocker, blocked));
   CREATE TABLE bans (
     fingerprint TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     reason TEXT NOT NULL,
     banned_by TEXT NOT NULL,
     at BIGINT NOT NULL
   );
   CREATE TABLE identity_keys (fingerprint TEXT PRIMARY KEY, exponent BYTEA NOT NULL, modulus BYTEA NOT NULL);
   CREATE TABLE secret_rooms (key TEXT PRIMARY KEY);`,
  // 2: the chat's servers and who is online on each (postgres-presence.ts).
  `CREATE TABLE chat (id TEXT PRIMARY KEY);
   INSERT INTO chat (id) VALUES (gen_random_uuid()::text);
   CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT, beat_at TIMESTAMPTZ NOT NULL);
   CREATE TABLE online (
     server TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
     user_key TEXT NOT NULL,
     name TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     rooms TEXT[] NOT NULL,
     PRIMARY KEY (server, user_key)
   );`,
  // 3: a batch of messages appended in one round trip (postgres-store.ts): the order lock, the
  // inserts (a repeated nonce stores nothing and names the first message), the senders' last
  // message time and the notification, in one statement's transaction.
  `CREATE FUNCTION parlor_append(batch jsonb, origin text, order_lock bigint)
     RETURNS TABLE (out_id bigint, out_repeated boolean) LANGUAGE plpgsql AS $fn$
   DECLARE
     m jsonb;
     new_id bigint;
     last_id bigint := 0;
   BEGIN
     PERFORM pg_advisory_xact_lock(order_lock);
     FOR m IN SELECT value FROM jsonb_array_elements(batch) LOOP
       new_id := NULL;
       INSERT INTO messages (room, recipient, sender, text, ts, sealed, nonce, origin)
         VALUES (m->>'room', m->>'to', m->>'from', m->>'text', (m->>'ts')::bigint, m->>'sealed', m->>'nonce', origin)
         ON CONFLICT (sender, nonce) WHERE nonce IS NOT NULL DO NOTHING
         RETURNING messages.id INTO new_id;
       IF new_id IS NULL THEN
         SELECT messages.id INTO new_id FROM messages WHERE messages.sender = m->>'from' AND messages.nonce = m->>'nonce';
         out_id := new_id; out_repeated := true;
       ELSE
         UPDATE users SET last_message_at = (m->>'ts')::bigint WHERE users.key = m->>'from';
         last_id := new_id; out_id := new_id; out_repeated := false;
       END IF;
       RETURN NEXT;
     END LOOP;
     IF last_id > 0 THEN
       PERFORM pg_notify('parlor', json_build_object('s', origin, 'm', last_id)::text);
     END IF;
   END
   $fn$;`,
  // 4: names an operator released (!release) from the key they were bound to, until the next login.
  `CREATE TABLE name_releases (
     key TEXT PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     released_by TEXT NOT NULL,
     at BIGINT NOT NULL
   );`,
  // 5: the chat's name, which all its servers advertise: set by the first server to start.
  `ALTER TABLE chat ADD COLUMN name TEXT;`,
  // 6: keys held by a server's SSH front door, so that every server marks them "not end-to-end".
  `ALTER TABLE identity_keys ADD COLUMN via_ssh BOOLEAN NOT NULL DEFAULT false;`,
];

/** Applies the migrations this database lacks; returns the versions this call applied. */
export async function migratePostgres(client: pg.ClientBase): Promise<number[]> {
  const applied: number[] = [];
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS parlor_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM parlor_schema');
    for (let version = rows[0]?.version ?? 0; version < POSTGRES_MIGRATIONS.length; version++) {
      await client.query('BEGIN');
      try {
        await client.query(POSTGRES_MIGRATIONS[version]!);
        await client.query('INSERT INTO parlor_schema (version) VALUES ($1)', [version + 1]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(version + 1);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
  return applied;
}
