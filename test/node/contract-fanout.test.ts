import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chunkPlan, chunkTask, isChunkSegmentKey, outputKeys, type ChunkTask } from "../../src/contract/index.ts";

const rung = (name: "720p" | "360p", width: number, height: number) => ({ name, width, height, videoKbps: 800, maxrateKbps: 1200, bufsizeKbps: 1600, level: "3.0" as const });
const span = (index: number, startFrame: number, frames: number | null) => ({ index, startFrame, frames, startSeconds: startFrame / 30, firstSegment: startFrame / 180, seekSeconds: 0 });
const task = (overrides: Partial<ChunkTask> = {}): unknown => ({
  kind: "chunk",
  index: 1,
  plan: { rungs: [rung("720p", 1280, 720), rung("360p", 640, 360)], fps: 30, gop: 60, rotated: false, toneMap: false, toEightBit: false },
  chunks: { fps: 30, firstTick: 0, segmentFrames: 180, chunks: [span(0, 0, 900), span(1, 900, 900), span(2, 1800, null)] },
  storyboard: { interval: 1, tiles: 80, columns: 10, rows: 8, tileWidth: 160, tileHeight: 90 },
  demuxer: "mov,mp4,m4a,3gp,3g2,mj2",
  length: 80,
  ...overrides,
});

describe("a chunk job's task, as the contract checks it", () => {
  it("takes a plan one job made", () => {
    expect(chunkTask.safeParse(task()).success).toBe(true);
  });
  it("refuses chunks that overlap, leave a gap, leave the segment grid or end before the video does", () => {
    const base = task() as ChunkTask;
    for (const chunks of [
      [span(0, 0, 900), span(1, 720, 900), span(2, 1620, null)],
      [span(0, 0, 900), span(1, 1080, 720), span(2, 1800, null)],
      [span(0, 0, 900), { ...span(1, 900, 900), startFrame: 910 }, span(2, 1800, null)],
      [span(0, 0, 900), span(1, 900, 900), span(2, 1800, 900)],
      [span(1, 0, 900), span(0, 900, null)],
    ]) {
      expect(chunkPlan.safeParse({ ...base.chunks, chunks }).success, JSON.stringify(chunks)).toBe(false);
    }
  });
  it("refuses an index outside the plan, a stream that is not one of the original's, a demuxer with odd characters", () => {
    expect(chunkTask.safeParse(task({ index: 3 })).success).toBe(false);
    expect(chunkTask.safeParse(task({ plan: { ...(task() as ChunkTask).plan, stream: "1:0" } })).success).toBe(false);
    expect(chunkTask.safeParse(task({ demuxer: "concat -i x" })).success).toBe(false);
    expect(chunkTask.safeParse(task({ plan: { ...(task() as ChunkTask).plan, rungs: [rung("720p", 1281, 720)] } })).success).toBe(false);
  });
});

describe("the keys a chunk may write", () => {
  const scope = { creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID() };
  const root = outputKeys(scope).hlsRoot;
  const t = task() as ChunkTask;
  it("are its own segments, in the plan's rungs, under its item's attempt", () => {
    for (const n of [5, 6, 9]) expect(isChunkSegmentKey(`${root}/720p/seg_0000${n}.ts`, scope, t)).toBe(true);
    expect(isChunkSegmentKey(`${root}/360p/seg_00009.ts`, scope, t)).toBe(true);
  });
  it("are nothing else: another chunk's segments, another rung, another attempt or item, a path", () => {
    for (const key of [
      `${root}/720p/seg_00004.ts`,
      `${root}/720p/seg_00010.ts`,
      `${root}/1080p/seg_00005.ts`,
      `${root}/720p/index.m3u8`,
      `${root}/master.m3u8`,
      `${root}/720p/../720p/seg_00005.ts`,
      `${root}/720p/x/seg_00005.ts`,
      `${outputKeys({ ...scope, attemptId: randomUUID() }).hlsRoot}/720p/seg_00005.ts`,
      `${outputKeys({ ...scope, mediaId: randomUUID() }).hlsRoot}/720p/seg_00005.ts`,
    ]) expect(isChunkSegmentKey(key, scope, t), key).toBe(false);
  });
  it("run to the end for the last chunk", () => {
    expect(isChunkSegmentKey(`${root}/720p/seg_00099.ts`, scope, { ...t, index: 2 })).toBe(true);
  });
});
