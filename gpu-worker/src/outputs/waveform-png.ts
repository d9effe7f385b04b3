import { crc32, deflateSync } from "node:zlib";
import type { WaveformData } from "./waveform.ts";

/**
 * Draws the waveform image from the peaks already computed for the JSON: no second pass over the
 * audio (FFmpeg's showwavespic costs ~10 CPU-seconds per hour of audio). Each column spans the
 * min..max of its peaks, mirrored around the centre line, on a transparent background.
 */
export function waveformPng(w: WaveformData, width: number, height: number, rgb = 0x6366f1): Buffer {
  const stride = 1 + width * 4; // a filter byte, then RGBA
  const pixels = Buffer.alloc(stride * height);
  const [r, g, b] = [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255];
  const mid = (height - 1) / 2;
  for (let x = 0; x < width && w.length > 0; x++) {
    const from = Math.floor((x * w.length) / width);
    const to = Math.max(from + 1, Math.floor(((x + 1) * w.length) / width));
    let lo = 127;
    let hi = -128;
    for (let i = from; i < to && i < w.length; i++) {
      lo = Math.min(lo, w.data[2 * i]!);
      hi = Math.max(hi, w.data[2 * i + 1]!);
    }
    // 8-bit peaks (-128..127) to rows; at least the centre pixel so silence shows as a line.
    const top = Math.round(mid - (hi / 128) * mid);
    const bottom = Math.round(mid - (lo / 128) * mid);
    for (let y = Math.max(0, Math.min(top, bottom)); y <= Math.min(height - 1, Math.max(top, bottom)); y++) {
      const at = y * stride + 1 + x * 4;
      pixels[at] = r;
      pixels[at + 1] = g;
      pixels[at + 2] = b;
      pixels[at + 3] = 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels, { level: 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
