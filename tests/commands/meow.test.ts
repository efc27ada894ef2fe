import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { meowCommand, DEFAULT_CATS_DIR } from '../../src/commands/meow.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import type { CommandReply } from '../../src/commands/definition.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { caller, recordingActions } from './helpers.ts';

async function meowFrom(dir: string): Promise<CommandReply> {
  const registry = new CommandRegistry();
  registry.add(meowCommand({ catsDir: dir }));
  return registry.run(caller(), '!meow', recordingActions());
}

function only(dir: string, name: string, bytes: Buffer): string {
  writeFileSync(join(dir, name), bytes);
  return dir;
}

/** A PNG whose header claims `width` × `height` pixels, with one tiny compressed row behind it. */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('commands/meow', () => {
  it('sends one of the cats that ship with parlor, re-encoded and at most 512 px a side', async () => {
    const reply = await meowFrom(DEFAULT_CATS_DIR);
    expect(reply.kind, JSON.stringify(reply).slice(0, 200)).to.equal('image');
    const image = reply as Extract<CommandReply, { kind: 'image' }>;
    const meta = await sharp(image.bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).to.be.at.most(512);
    expect(['image/png', 'image/jpeg']).to.include(image.type);
    expect(image.name).to.match(/^[a-z-]+\.(png|jpg)$/);
  });

  it('re-encodes a JPEG: EXIF dropped, longest side capped', async () => {
    const dir = tempDir('cats');
    const photo = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#c08040' } })
      .jpeg()
      .withExif({ IFD0: { Copyright: 'secret-owner', ImageDescription: 'home address' } })
      .toBuffer();
    expect((await sharp(photo).metadata()).exif).to.not.equal(undefined);
    const reply = (await meowFrom(only(dir, 'photo.jpg', photo))) as Extract<CommandReply, { kind: 'image' }>;
    expect(reply.kind).to.equal('image');
    expect(reply.type).to.equal('image/jpeg');
    const meta = await sharp(reply.bytes).metadata();
    expect([meta.width, meta.height]).to.deep.equal([512, 256]);
    expect(meta.exif).to.equal(undefined);
    expect(Buffer.from(reply.bytes).includes('secret-owner')).to.equal(false);
  });

  it('keeps a PNG with transparency as PNG', async () => {
    const dir = tempDir('cats');
    const png = await sharp({ create: { width: 64, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const reply = (await meowFrom(only(dir, 'clear.png', png))) as Extract<CommandReply, { kind: 'image' }>;
    expect(reply.type).to.equal('image/png');
    const meta = await sharp(reply.bytes).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).to.deep.equal([64, 32, true]);
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const dir = tempDir('cats');
    // 100,000 × 100,000 = 10^10 pixels: 10 GB decoded, 1 KiB on disk.
    const reply = await meowFrom(only(dir, 'bomb.png', pngClaiming(100_000, 100_000)));
    expect(reply).to.include({ kind: 'error', code: 'IMAGE_INVALID' });
    expect((reply as { message: string }).message).to.match(/pixels/);
  });

  it('answers a corrupt or truncated file with IMAGE_INVALID, and the next call still works', async () => {
    const dir = tempDir('cats');
    const good = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    expect(await meowFrom(only(dir, 'junk.png', Buffer.from('this is not a picture at all')))).to.include({ kind: 'error', code: 'IMAGE_INVALID' });
    const truncatedDir = tempDir('cats');
    expect(await meowFrom(only(truncatedDir, 'half.jpg', good.subarray(0, good.length >> 1)))).to.include({ kind: 'error', code: 'IMAGE_INVALID' });
    const goodDir = tempDir('cats');
    expect((await meowFrom(only(goodDir, 'ok.jpg', good))).kind).to.equal('image');
  });

  it('says so when there are no cats, or the folder is missing', async () => {
    expect(await meowFrom(tempDir('cats'))).to.include({ kind: 'error', code: 'COMMAND_FAILED' });
    expect(await meowFrom(join(tempDir('cats'), 'missing'))).to.include({ kind: 'error', code: 'COMMAND_FAILED' });
  });
});
