import { describe, expect, it } from "vitest";
import {
  checkStalls, chunkCompleted, chunkDispatched, chunkFailed, chunkProgress, failAll, fanoutPercent, nextStallAt, restCompleted, restFailed, restProgress, startFanout,
  type FanoutState, type FanoutStep,
} from "../../src/machine/fanout.ts";

const policy = { maxWorkers: 2, chunkRetries: 2, stallMs: 60_000 };
// 4 chunks of 30 s at 30 fps, the last 12 s (a 102 s video).
const spans = [0, 1, 2, 3].map((i) => ({ index: i, startFrame: i * 900, frames: i < 3 ? 900 : null, startSeconds: i * 30, firstSegment: i * 5, seekSeconds: 0 }));
const start = () => startFanout(spans, 30, 102, policy);
const retriable = { code: "ENCODE_FAILED" as const, message: "worker lost", retriable: true };
const fatal = { code: "INPUT_UNREADABLE" as const, message: "bad data at 61 s", retriable: false };
const statuses = (s: FanoutState) => s.chunks.map((c) => c.status[0]).join("");
const done = (s: FanoutState, index: number) => chunkCompleted(s, index, s.chunks[index]!.try, 30, 1000).state;

describe("a fan-out's chunks", () => {
  it("are dispatched in time order, at most maxWorkers at once", () => {
    const step = start();
    expect(step.effects).toEqual([{ type: "dispatchChunk", index: 0, try: 1 }, { type: "dispatchChunk", index: 1, try: 1 }]);
    expect(statuses(step.state)).toBe("rrww");
  });
  it("take the next chunk into a slot as one finishes, and complete once every chunk and the whole-file job are in", () => {
    let s = start().state;
    const step = chunkCompleted(s, 0, 1, 31.5, 1000);
    // The first chunk in is published at once (README "Playable while it transcodes").
    expect(step.effects).toEqual([{ type: "dispatchChunk", index: 2, try: 1 }, { type: "publish", chunks: 1 }]);
    s = done(done(done(step.state, 1), 2), 3);
    expect(statuses(s)).toBe("dddd");
    expect(s.chunks[0]!.encodeSeconds).toBe(31.5);
    const last = restCompleted(s, 2000);
    expect(last.outcome).toBe("complete");
  });
  it("wait for the whole-file job before completing", () => {
    let s = start().state;
    s = restCompleted(s, 10).state;
    for (const i of [0, 1, 2]) s = done(s, i);
    expect(chunkCompleted(s, 3, 1, 5, 20).outcome).toBe("complete");
  });
  it("answer and ignore a duplicate, a late or a superseded try's callback", () => {
    let s = start().state;
    s = chunkCompleted(s, 0, 1, 30, 10).state;
    expect(chunkCompleted(s, 0, 1, 30, 11).outcome).toBe("ignored");
    s = chunkFailed(s, 1, 1, retriable, 12).state; // chunk 1 goes to try 2
    expect(chunkProgress(s, 1, 1, 50, 13).outcome).toBe("ignored");
    expect(chunkCompleted(s, 1, 1, 30, 14).outcome).toBe("ignored");
    expect(chunkFailed(s, 1, 1, fatal, 15).outcome).toBe("ignored");
    expect(chunkProgress(s, 9, 1, 50, 13).outcome).toBe("ignored");
  });
  it("cancel a job RunPod took for a try that is no longer wanted", () => {
    let s = start().state;
    s = chunkFailed(s, 0, 1, retriable, 5).state;
    expect(chunkDispatched(s, 0, 1, "job-old", 6)).toMatchObject({ outcome: "ignored", effects: [{ type: "cancelJob", jobId: "job-old" }] });
  });
});

describe("a chunk that fails", () => {
  it("retriably is tried again, that chunk only, without the item's retry, until its tries are spent", () => {
    let step: FanoutStep = start();
    step = chunkDispatched(step.state, 0, 1, "job-a", 1);
    step = chunkFailed(step.state, 0, 1, retriable, 2);
    // Back in line behind nothing (chunk 1 is running, a slot is free): dispatched at once as try 2.
    expect(step.effects).toEqual([{ type: "cancelJob", jobId: "job-a" }, { type: "dispatchChunk", index: 0, try: 2 }]);
    expect(step.outcome).toBe("running");
    step = chunkFailed(step.state, 0, 2, retriable, 3);
    expect(step.outcome).toBe("running");
    step = chunkDispatched(step.state, 0, 3, "job-c", 4);
    step = chunkDispatched(step.state, 1, 1, "job-b", 4);
    step = chunkFailed(step.state, 0, 3, retriable, 5);
    expect(step.outcome).toBe("failed");
    if (step.outcome !== "failed") throw new Error("unreachable");
    expect(step.error).toMatchObject({ code: "ENCODE_FAILED", retriable: true });
    expect(step.error.message).toMatch(/^Chunk 1 of 4: /);
    // Every other job in flight is cancelled with it.
    expect(step.effects).toEqual([{ type: "cancelJob", jobId: "job-c" }, { type: "cancelJob", jobId: "job-b" }]);
  });
  it("unretriably fails the item with its code at once, cancelling the others", () => {
    let s = chunkDispatched(start().state, 1, 1, "job-b", 1).state;
    s = chunkDispatched(s, 0, 1, "job-a", 1).state;
    const step = chunkFailed(s, 1, 1, fatal, 2);
    expect(step).toMatchObject({ outcome: "failed", error: { code: "INPUT_UNREADABLE", retriable: false } });
    expect(step.effects).toEqual([{ type: "cancelJob", jobId: "job-b" }, { type: "cancelJob", jobId: "job-a" }]);
  });
  it("or a whole-file job that fails, fails the item with that error", () => {
    const s = chunkDispatched(start().state, 0, 1, "job-a", 1).state;
    expect(restFailed(s, fatal)).toMatchObject({ outcome: "failed", error: fatal, effects: [{ type: "cancelJob", jobId: "job-a" }] });
  });
  it("cancel and delete stop every job in flight", () => {
    let s = chunkDispatched(start().state, 0, 1, "job-a", 1).state;
    s = chunkDispatched(s, 1, 1, "job-b", 1).state;
    expect(failAll(s, { code: "CANCELLED", message: "Cancelled by an administrator", retriable: true }).effects.map((e) => e.type === "cancelJob" && e.jobId)).toEqual(["job-a", "job-b"]);
  });
});

describe("silence", () => {
  it("past the stall window counts as a retriable failure of that chunk; the alarm knows when to look", () => {
    let s = chunkDispatched(start().state, 0, 1, "job-a", 1_000).state;
    s = chunkDispatched(s, 1, 1, "job-b", 1_000).state;
    s = chunkProgress(s, 1, 1, 40, 50_000).state;
    expect(nextStallAt(s)).toBe(61_000);
    expect(checkStalls(s, 60_999).effects).toEqual([]);
    const step = checkStalls(s, 61_000);
    expect(step.effects).toEqual([{ type: "cancelJob", jobId: "job-a" }, { type: "dispatchChunk", index: 0, try: 2 }]);
    expect(step.state.chunks[0]!.failures).toBe(1);
    expect(nextStallAt(step.state)).toBe(110_000);
  });
});

describe("progress", () => {
  it("is by seconds of video over the chunks, with the whole-file job a tenth, and 100 only when all is in", () => {
    let s = start().state;
    expect(fanoutPercent(s)).toBe(0);
    s = chunkProgress(s, 0, 1, 50, 1).state;
    // 15 of 102 s encoded: 14.7 % of the picture, 90 % weight.
    expect(fanoutPercent(s)).toBe(13.2);
    s = restProgress(s, 100).state;
    expect(fanoutPercent(s)).toBe(23.2);
  });
  it("stops at 99 while the whole-file job is still out, 100 when it is in", () => {
    let s = start().state;
    for (const i of [0, 1, 2, 3]) s = done(s, i);
    expect(statuses(s)).toBe("dddd");
    expect(fanoutPercent(s)).toBe(90);
    s = restProgress(s, 99.9).state;
    expect(fanoutPercent(s)).toBe(99);
    expect(fanoutPercent(restCompleted(s, 3).state)).toBe(100);
  });
  it("never moves back", () => {
    let s = chunkProgress(start().state, 0, 1, 60, 1).state;
    s = chunkProgress(s, 0, 1, 20, 2).state;
    expect(s.chunks[0]!.percent).toBe(60);
  });
});
