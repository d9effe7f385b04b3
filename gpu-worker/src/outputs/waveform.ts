import type { Readable } from "node:stream";

/** audiowaveform's JSON format, version 2 (what peaks.js reads). */
export interface WaveformData {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  length: number;
  data: number[];
}

/** Keeps the JSON a few MB at most: longer media get coarser pixels. */
const MAX_POINTS = 200_000;

export function samplesPerPixel(sampleRate: number, durationSeconds: number): number {
  return Math.max(256, Math.ceil((sampleRate * durationSeconds) / MAX_POINTS / 64) * 64);
}

/** Min/max pairs over each `spp` samples of 16-bit mono PCM, scaled to 8 bits. */
export class WaveformBuilder {
  private min = 32767;
  private max = -32768;
  private count = 0;
  private readonly data: number[] = [];
  private carry: Buffer | null = null;
  constructor(
    private readonly sampleRate: number,
    private readonly spp: number,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const whole = buf.length - (buf.length % 2);
    if (whole < buf.length) this.carry = buf.subarray(whole);
    for (let i = 0; i < whole; i += 2) {
      const s = buf.readInt16LE(i);
      if (s < this.min) this.min = s;
      if (s > this.max) this.max = s;
      if (++this.count === this.spp) this.flushPixel();
    }
  }

  private flushPixel(): void {
    this.data.push(this.min >> 8, this.max >> 8);
    this.min = 32767;
    this.max = -32768;
    this.count = 0;
  }

  finish(): WaveformData {
    if (this.count > 0) this.flushPixel();
    return {
      version: 2,
      channels: 1,
      sample_rate: this.sampleRate,
      samples_per_pixel: this.spp,
      bits: 8,
      length: this.data.length / 2,
      data: this.data,
    };
  }

  /** Consumes a PCM stream to its end. */
  consume(stream: Readable): Promise<void> {
    return new Promise((resolve, reject) => {
      stream.on("data", (c: Buffer) => this.push(c));
      stream.on("end", () => resolve());
      stream.on("error", reject);
    });
  }
}
