// Images from disk are re-encoded before they go to anyone: the output is a fresh PNG or JPEG with
// no metadata (sharp drops EXIF, GPS and comments unless asked to keep them), its longest side
// capped, and the decoder refuses anything whose header claims more pixels than the limit, so a
// decompression bomb fails at the header instead of filling memory.

import { ParlorError } from '../protocol/errors.ts';

/**
 * sharp (libvips, ~30 MB resident) is loaded at the first picture, not at server start: most
 * servers answer far more handshakes than !meows, and every handshake pays for a bigger heap.
 */
let loadedSharp: Promise<typeof import('sharp').default> | undefined;
const sharpModule = () => (loadedSharp ??= import('sharp').then((module) => module.default));

export interface ReencodeLimits {
  /** The longest side of the output, in pixels. */
  maxSide: number;
  /** Inputs whose width × height is larger are refused before decoding. */
  maxInputPixels: number;
}

export const DEFAULT_REENCODE_LIMITS: ReencodeLimits = { maxSide: 512, maxInputPixels: 24_000_000 };

export interface ReencodedImage {
  bytes: Buffer;
  type: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

export async function reencodeImage(input: Buffer, limits: ReencodeLimits = DEFAULT_REENCODE_LIMITS): Promise<ReencodedImage> {
  const sharp = await sharpModule();
  try {
    // failOn 'error': a truncated or corrupt file is an error, not a half-grey picture.
    const image = sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'error', sequentialRead: true });
    const meta = await image.metadata();
    const keepsAlpha = meta.hasAlpha === true;
    const resized = image
      .rotate() // applies the EXIF orientation before that EXIF is dropped
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true });
    const encoded = keepsAlpha ? resized.png({ compressionLevel: 9 }) : resized.jpeg({ quality: 85, mozjpeg: true });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { bytes: data, type: keepsAlpha ? 'image/png' : 'image/jpeg', width: info.width, height: info.height };
  } catch (error) {
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new ParlorError('IMAGE_INVALID', `the image is larger than ${limits.maxInputPixels} pixels: refused before decoding`, { cause: error });
    }
    throw new ParlorError('IMAGE_INVALID', `the image could not be read: ${message.split('\n')[0]!.slice(0, 160)}`, { cause: error });
  }
}
