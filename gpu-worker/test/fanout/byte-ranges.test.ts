import { execFileSync } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chunkByteRanges, merge, rangeBytes, sparseCopy, type Packet } from "../../src/fanout/byte-ranges.ts";
import { chunkTaskOf, planFanout, runChunk } from "../../src/fanout/steps.ts";
import { DEFAULTS } from "../../src/pipeline.ts";
import { fixture, tempDir } from "../support.ts";
import { randomUUID } from "node:crypto";

describe("a chunk's byte ranges of an MP4 (pure)", () => {
  it("merges overlapping and near ranges, in order", () => {
    expect(merge([{ start: 50, end: 60 }, { start: 0, end: 10 }, { start: 12, end: 20 }, { start: 55, end: 70 }], 2)).toEqual([{ start: 0, end: 20 }, { start: 50, end: 70 }]);
  });
  it("holds the index boxes, every mdat's header, the first seconds of every stream, and the video from the keyframe the seek lands on to a little past the end", () => {
    // 30 s of video (stream 0, a keyframe every 2 s, 100 kB a second) and sound (stream 1).
    const packets: Packet[] = [];
    for (let t = 0; t < 30; t += 0.5) {
      packets.push({ stream: 0, time: t, pts: t + 0.1, pos: 1000 + t * 200_000, size: 50_000, key: t % 2 === 0 });
      packets.push({ stream: 1, time: t, pts: t, pos: 1000 + t * 200_000 + 50_000, size: 2_000, key: true });
    }
    const boxes = [{ type: "ftyp", start: 0, size: 32, header: 8 }, { type: "mdat", start: 32, size: 6_000_000, header: 8 }, { type: "moov", start: 6_000_032, size: 40_000, header: 8 }];
    const ranges = chunkByteRanges({ boxes, packets, videoStream: 0, span: { seekSeconds: 11 }, end: 18, fileSize: 6_040_032, gap: 0 });
    const covers = (pos: number) => ranges.some((r) => r.start <= pos && pos < r.end);
    expect(covers(0) && covers(32) && covers(6_000_032 + 39_999)).toBe(true); // ftyp, mdat header, moov
    expect(covers(1000)).toBe(true); // the first seconds, for FFmpeg's stream probe
    // Seek to 11 s lands on the keyframe at 10 s (pts 10.1): from there to 18 + 3 s.
    expect(covers(1000 + 10 * 200_000)).toBe(true);
    expect(covers(1000 + 21 * 200_000)).toBe(true);
    expect(covers(1000 + 6 * 200_000)).toBe(false);
    expect(covers(1000 + 25 * 200_000)).toBe(false);
    expect(rangeBytes(ranges)).toBeLessThan(6_040_032 / 2);
  });
});

describe("a chunk that fetched only its byte ranges of an MP4", async () => {
  const input = fixture("wide-30s.mp4");
  const job = (dir: string, file: string) => ({ input: file, outDir: dir, creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID(), mediaType: "video" as const, ...DEFAULTS, encoder: "x264" as const, archive: false });
  const whole = job(tempDir(), input);
  const plan = await planFanout(whole, { chunkSeconds: 12 });
  const size = (await readFile(input)).length;

  it("is planned with ranges well short of the whole file for every chunk after the first", () => {
    expect(plan.sourceSize).toBe(size);
    expect(plan.chunks.chunks.length).toBe(3);
    // 12 s chunks of a 30 s file with 2 s GOPs: the index, 3 s for the probe, the chunk and 3 s past it.
    for (const c of plan.chunks.chunks.slice(0, 2)) expect(rangeBytes(c.bytes!)).toBeLessThan(size * 0.65);
  });

  it.each([0, 1, 2])("chunk %i: a file holding only those bytes gives its FFmpeg the very frames the whole original gives, and the same segments", async (index) => {
    const dir = tempDir();
    const sparse = join(dir, "original.mp4");
    const source = await open(input, "r");
    const span = plan.chunks.chunks[index]!;
    await sparseCopy(sparse, size, span.bytes!, async (r) => {
      const buf = Buffer.alloc(r.end - r.start);
      await source.read(buf, 0, buf.length, r.start);
      const out = await open(sparse, "r+");
      await out.write(buf, 0, buf.length, r.start);
      await out.close();
    });
    await source.close();
    // Every decoded frame from the chunk's seek to its end, as the chunk's FFmpeg opens the file.
    const next = plan.chunks.chunks[index + 1];
    const frames = (file: string) =>
      execFileSync("ffmpeg", ["-v", "error", "-f", "mov", ...(span.seekSeconds > 0 ? ["-ss", String(span.seekSeconds)] : []), "-i", file, ...(next ? ["-t", String(next.startSeconds - span.seekSeconds)] : []), "-map", "0:v:0", "-f", "framemd5", "-"], { encoding: "utf8", maxBuffer: 64 << 20 })
        .split("\n").filter((l) => l && !l.startsWith("#"));
    const expected = frames(input);
    expect(expected.length).toBeGreaterThan(100);
    expect(frames(sparse)).toEqual(expected);
    // And the chunk itself, from that file: its segments where and as long as from the whole original.
    const partial = { ...job(dir, sparse), creatorId: whole.creatorId, mediaId: whole.mediaId, attemptId: whole.attemptId };
    const strip = (r: Awaited<ReturnType<typeof runChunk>>) => Object.fromEntries(Object.entries(r.segments).map(([k, v]) => [k, v.map(({ uri, duration }) => ({ uri, duration }))]));
    expect(strip(await runChunk(partial, chunkTaskOf(plan, index)))).toEqual(strip(await runChunk(whole, chunkTaskOf(plan, index))));
  });
});
