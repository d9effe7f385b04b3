import { describe, expect, it } from "vitest";
import { planChunks, segmentFrames } from "../../src/fanout/chunk-plan.ts";

describe("a segment is whole GOPs, as the HLS muxer cuts them", () => {
  it.each([
    [30, 60, 180],
    [29.97, 60, 180], // 2.002 s GOPs: the cut at 6 s falls on the third keyframe, 6.006 s
    [23.976, 48, 144],
    [25, 50, 150],
    [60, 120, 360],
    [10, 20, 60],
  ])("%s fps, GOP %s → %s frames", (fps, gop, frames) => {
    expect(segmentFrames(fps, gop, 6)).toBe(frames);
  });
});

describe("chunks", () => {
  const base = { fps: 30, gop: 60, segmentSeconds: 6 };
  it("by length: whole segments each, the last to the end, numbered where its first segment sits", () => {
    const plan = planChunks({ ...base, durationSeconds: 100, chunkSeconds: 30 });
    expect(plan.segmentFrames).toBe(180);
    expect(plan.chunks.map((c) => [c.startFrame, c.frames, c.firstSegment])).toEqual([
      [0, 900, 0],
      [900, 900, 5],
      [1800, 900, 10],
      [2700, null, 15],
    ]);
    expect(plan.chunks[1]!.startSeconds).toBe(30);
  });
  it("by count: the segments shared out evenly (17 segments in 4 chunks: 5, 5, 5, 2)", () => {
    const plan = planChunks({ ...base, durationSeconds: 100, chunks: 4 });
    expect(plan.chunks.map((c) => c.firstSegment)).toEqual([0, 5, 10, 15]);
  });
  it("rounds a length to whole segments, at least one", () => {
    expect(planChunks({ ...base, durationSeconds: 20, chunkSeconds: 1 }).chunks).toHaveLength(4);
    expect(planChunks({ ...base, durationSeconds: 20, chunkSeconds: 10 }).chunks.map((c) => c.frames)).toEqual([360, null]);
  });
  it("keeps a short video one chunk, and never asks for more chunks than segments", () => {
    expect(planChunks({ ...base, durationSeconds: 5, chunks: 8 }).chunks).toEqual([{ index: 0, startFrame: 0, frames: null, startSeconds: 0, firstSegment: 0, seekSeconds: 0 }]);
    expect(planChunks({ ...base, durationSeconds: 13, chunks: 8 }).chunks).toHaveLength(3);
  });
  it("counts 29.97 fps in frames, so chunk starts never drift", () => {
    const plan = planChunks({ fps: 29.97, gop: 60, segmentSeconds: 6, durationSeconds: 3600, chunkSeconds: 60 });
    expect(plan.chunks.every((c) => c.startFrame % 180 === 0)).toBe(true);
    expect(plan.chunks.at(-1)!.startFrame).toBe(plan.chunks.at(-1)!.firstSegment * 180);
  });
  it("puts the first frame where a late-starting stream has it", () => {
    expect(planChunks({ ...base, durationSeconds: 20, chunks: 2, videoStartSeconds: 0.034 }).firstTick).toBe(1);
  });
  it("refuses nonsense", () => {
    expect(() => planChunks({ ...base, durationSeconds: 0, chunks: 2 })).toThrow();
  });
});
