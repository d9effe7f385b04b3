import { open } from "node:fs/promises";
import { inputLimits } from "../ffmpeg/spawn.ts";
import type { ChunkSpan } from "./chunk-plan.ts";

/**
 * Which bytes of an MP4/MOV original a chunk job needs, so that it fetches those instead of the
 * whole file. Such a file says where every sample lies (its `moov` index), so a chunk's FFmpeg,
 * reading a local file of the original's size in which only these ranges were filled in, reads
 * nothing else: the index and the boxes around the samples, the first seconds of every stream
 * (FFmpeg's stream probe reads from the start before it seeks), and the video samples from the
 * keyframe its seek lands on to a little past its end. FFmpeg still opens only that local file,
 * never a URL. Other containers (MPEG-TS seeks by bytes, Matroska's cues are optional) are
 * fetched whole.
 */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

/** The demuxer whose files are read by their index (FFmpeg's MP4/MOV demuxer, as containers.ts names it). */
export const INDEXED_DEMUXER = "mov";

export interface Box {
  type: string;
  start: number;
  size: number;
  header: number;
}

/** The file's top-level boxes, by their headers alone (8 or 16 bytes each; a size of 0 runs to the end). */
export async function topLevelBoxes(path: string): Promise<Box[]> {
  const f = await open(path, "r");
  try {
    const { size: fileSize } = await f.stat();
    const boxes: Box[] = [];
    const head = Buffer.alloc(16);
    for (let at = 0; at + 8 <= fileSize && boxes.length < 10_000; ) {
      const { bytesRead } = await f.read(head, 0, 16, at);
      if (bytesRead < 8) break;
      let size = head.readUInt32BE(0);
      let header = 8;
      if (size === 1 && bytesRead >= 16) {
        size = Number(head.readBigUInt64BE(8));
        header = 16;
      } else if (size === 0) size = fileSize - at;
      const type = head.toString("latin1", 4, 8);
      if (size < header) break; // not a box: stop reading the structure
      boxes.push({ type, start: at, size: Math.min(size, fileSize - at), header });
      at += size;
    }
    return boxes;
  } finally {
    await f.close();
  }
}

/** ffprobe flags that list every packet's stream, times, position and size. */
export function packetProbeArgs(input: string): string[] {
  return [
    "-v", "error",
    ...inputLimits(),
    "-f", INDEXED_DEMUXER,
    "-show_entries", "packet=stream_index,pts_time,dts_time,pos,size,flags:format=start_time",
    "-of", "json",
    input,
  ];
}

export interface Packet {
  stream: number;
  /** Decode time, seconds on the clock the encode uses (the file's start is 0). */
  time: number;
  /** Presentation time on the same clock (the keyframes' times, as keyframes.ts reads them). */
  pts: number;
  pos: number;
  size: number;
  key: boolean;
}

/** The packets ffprobe listed, with a position and a time. Pure. */
export function parsePackets(json: string): Packet[] {
  const parsed = JSON.parse(json) as { packets?: { stream_index?: number; pts_time?: string; dts_time?: string; pos?: string; size?: string; flags?: string }[]; format?: { start_time?: string } };
  const start = Number(parsed.format?.start_time) || 0;
  const out: Packet[] = [];
  for (const p of parsed.packets ?? []) {
    const t = Number(p.dts_time ?? p.pts_time);
    const pos = Number(p.pos);
    const size = Number(p.size);
    if (!Number.isFinite(t) || !Number.isFinite(pos) || pos < 0 || !Number.isFinite(size)) continue;
    const pts = Number(p.pts_time ?? p.dts_time);
    out.push({ stream: p.stream_index ?? 0, time: t - start, pts: (Number.isFinite(pts) ? pts : t) - start, pos, size, key: !!p.flags?.startsWith("K") });
  }
  return out;
}

/** How far past a chunk's end its FFmpeg may read ahead (decoder and filter delay), seconds. */
const READ_AHEAD = 3;
/** The first seconds of every stream, which FFmpeg's stream probe reads before it seeks. */
const PROBE_SECONDS = 3;

/**
 * The byte ranges chunk `span` needs, sorted and merged (ranges closer than `gap` bytes become
 * one: a request costs more than a few KiB). `end`: where the chunk ends on the video's clock
 * (null: the last chunk, to the end of the file). Pure.
 */
export function chunkByteRanges(o: { boxes: Box[]; packets: Packet[]; videoStream: number; span: Pick<ChunkSpan, "seekSeconds">; end: number | null; fileSize: number; gap?: number }): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (const b of o.boxes) ranges.push(b.type === "mdat" ? { start: b.start, end: b.start + b.header } : { start: b.start, end: b.start + b.size });
  const packetRange = (p: Packet) => ranges.push({ start: p.pos, end: p.pos + p.size });
  for (const p of o.packets) if (p.time < PROBE_SECONDS) packetRange(p);
  // The seek lands on the last keyframe at or before the seek point (by presentation time, the
  // earlier choice of the two clocks), and reads from its decode time on.
  const video = o.packets.filter((p) => p.stream === o.videoStream);
  let from = 0;
  for (const p of video) if (p.key && p.pts <= o.span.seekSeconds + 1e-6) from = Math.max(from, p.time);
  const until = o.end === null ? Infinity : o.end + READ_AHEAD;
  for (const p of video) if (p.time >= from - 0.5 && p.time <= until) packetRange(p);
  return merge(ranges.map((r) => ({ start: Math.max(0, r.start), end: Math.min(o.fileSize, r.end) })).filter((r) => r.end > r.start), o.gap ?? 64 * 1024);
}

/** Sorted, overlapping and near ranges joined. Pure. */
export function merge(ranges: ByteRange[], gap = 0): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start <= last.end + gap) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Bytes the ranges hold. */
export const rangeBytes = (ranges: ByteRange[]) => ranges.reduce((s, r) => s + r.end - r.start, 0);

/**
 * A local stand-in for the original: a file of its size with only `ranges` filled in (the rest
 * is a hole: zeros that take no disk). `fetch` writes one range at its offset.
 */
export async function sparseCopy(path: string, size: number, ranges: ByteRange[], fetch: (range: ByteRange) => Promise<void>, concurrency = 4): Promise<void> {
  const f = await open(path, "w");
  try {
    await f.truncate(size);
  } finally {
    await f.close();
  }
  const queue = [...ranges];
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let r = queue.shift(); r; r = queue.shift()) await fetch(r);
  }));
}
