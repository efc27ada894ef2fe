// Autojoin, as irssi's: the rooms joined on each server (HOST:PORT), with their room passwords,
// remembered in autojoin.json in the config dir and joined again when the UI logs in there.
// The file holds passwords, so it is the user's alone (mode 0600, written whole by rename).
// A missing or damaged file is an empty list.

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { foldName } from '../protocol/names.ts';

export const AUTOJOIN_FILE = 'autojoin.json';

const roomSchema = z.object({ room: z.string().min(1).max(200), password: z.string().max(1000).optional() });
const fileSchema = z.object({ servers: z.record(z.string().max(300), z.array(roomSchema).max(1000)) });
export type AutojoinRoom = z.infer<typeof roomSchema>;

export class Autojoin {
  private readonly path: string;

  constructor(private readonly configDir: string) {
    this.path = join(configDir, AUTOJOIN_FILE);
  }

  /** The rooms to join at `address`, in the order they were first joined. */
  rooms(address: string): AutojoinRoom[] {
    return this.load().servers[address] ?? [];
  }

  /** After a join: the room (and the password it took) is joined again next time. */
  remember(address: string, room: string, password?: string): void {
    const file = this.load();
    const rooms = file.servers[address] ?? [];
    const entry: AutojoinRoom = { room, ...(password !== undefined && password !== '' && { password }) };
    const at = rooms.findIndex((r) => foldName(r.room) === foldName(room));
    if (at >= 0) rooms[at] = entry;
    else rooms.push(entry);
    file.servers[address] = rooms;
    this.save(file);
  }

  /** After /leave (or a room that is gone): not joined again. */
  forget(address: string, room: string): void {
    const file = this.load();
    const rooms = (file.servers[address] ?? []).filter((r) => foldName(r.room) !== foldName(room));
    if (rooms.length > 0) file.servers[address] = rooms;
    else delete file.servers[address];
    this.save(file);
  }

  private load(): z.infer<typeof fileSchema> {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // Missing or not JSON: nothing remembered.
    }
    return { servers: {} };
  }

  private save(file: z.infer<typeof fileSchema>): void {
    mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    // writeFileSync's mode is masked by the umask; the passwords must stay the user's alone.
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }
}
