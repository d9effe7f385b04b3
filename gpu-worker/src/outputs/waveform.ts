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

/**
 * Min/max pairs over each `spp` samples of 16-bit mono PCM, scaled to 8 bits. The samples may
 * arrive in parts that start anywhere (chunks decoded in parallel): each part writes the pixels it
 * covers, and a pixel split between two parts takes the min and max of both.
 */
export class WaveformBuilder {
  private readonly mins: number[] = [];
  private readonly maxs: number[] = [];
  private readonly parts: WaveformPart[] = [];
  constructor(
    readonly sampleRate: number,
    readonly spp: number,
  ) {}

  /** A writer for the samples from `startSample` (counted from the start of the media) on. */
  part(startSample = 0): WaveformPart {
    const part = new WaveformPart(this, startSample);
    this.parts.push(part);
    return part;
  }

  /** @internal */
  merge(pixel: number, min: number, max: number): void {
    const m = this.mins[pixel];
    this.mins[pixel] = m === undefined ? min : Math.min(m, min);
    const x = this.maxs[pixel];
    this.maxs[pixel] = x === undefined ? max : Math.max(x, max);
  }

  finish(): WaveformData {
    for (const part of this.parts) part.flush();
    const data: number[] = [];
    for (let i = 0; i < this.mins.length; i++) data.push((this.mins[i] ?? 0) >> 8, (this.maxs[i] ?? 0) >> 8);
    return {
      version: 2,
      channels: 1,
      sample_rate: this.sampleRate,
      samples_per_pixel: this.spp,
      bits: 8,
      length: data.length / 2,
      data,
    };
  }
}

export class WaveformPart {
  private min = 32767;
  private max = -32768;
  private pixel: number;
  /** Samples of the current pixel seen so far (by this part or, for its first, the one before). */
  private count: number;
  private seen = false;
  private carry: Buffer | null = null;
  constructor(
    private readonly builder: WaveformBuilder,
    startSample: number,
  ) {
    this.pixel = Math.floor(startSample / builder.spp);
    this.count = startSample % builder.spp;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const whole = buf.length - (buf.length % 2);
    if (whole < buf.length) this.carry = Buffer.from(buf.subarray(whole));
    // An aligned view reads samples several times faster than readInt16LE (s16le on a little-endian host).
    const aligned = buf.byteOffset % 2 === 0 ? buf : Buffer.from(buf);
    const samples = new Int16Array(aligned.buffer, aligned.byteOffset, whole / 2);
    const spp = this.builder.spp;
    let { min, max, count } = this;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (s < min) min = s;
      if (s > max) max = s;
      if (++count === spp) {
        this.builder.merge(this.pixel++, min, max);
        min = 32767;
        max = -32768;
        count = 0;
      }
    }
    if (samples.length) this.seen = true;
    this.min = min;
    this.max = max;
    this.count = count;
  }

  /** Writes the last, partial pixel. */
  flush(): void {
    if (this.seen && this.min <= this.max) this.builder.merge(this.pixel, this.min, this.max);
    this.min = 32767;
    this.max = -32768;
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
