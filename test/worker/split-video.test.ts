import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FanoutTask, JobInput } from "../../src/contract/index.ts";
import { api, payloadFor, rowWhen, sendCallback, uploadedItem, useFakeRunpod, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();

/** A 70 s 30 fps video in three chunks of 30 s (5 segments each), the last 10 s: a first job's plan. */
const task: FanoutTask = {
  plan: { rungs: [{ name: "360p", width: 640, height: 360, videoKbps: 800, maxrateKbps: 856, bufsizeKbps: 1600, level: "3.0" }], fps: 30, gop: 60, rotated: false, toneMap: false, toEightBit: false },
  chunks: { fps: 30, firstTick: 0, segmentFrames: 180, chunks: [0, 1, 2].map((i) => ({ index: i, startFrame: i * 900, frames: i < 2 ? 900 : null, startSeconds: i * 30, firstSegment: i * 5, seekSeconds: Math.max(0, i * 30 - 1) })) },
  storyboard: { interval: 5, tiles: 14, columns: 10, rows: 2, tileWidth: 160, tileHeight: 90 },
  demuxer: "mov,mp4,m4a,3gp,3g2,mj2",
  length: 70,
  mezzanine: false,
};
/** The fake names each job after its place in the list of runs. */
const jobOf = (i: number) => ({ jobId: `job-${i + 1}-${runpod.runs[i]!.input.attemptId.slice(0, 8)}`, input: runpod.runs[i]!.input });
const chunkRuns = () => runpod.runs.map((r, i) => ({ ...jobOf(i), task: r.input.task })).filter((r) => r.task?.kind === "chunk");

async function splitItem() {
  const item = await uploadedItem(uuid());
  await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
  const first = runpod.lastJob();
  const planned = await sendCallback(payloadFor(first, { status: "planned", task, durationSeconds: 70 }));
  return { item, first, planned };
}

describe("a video split across workers, through the item's object", () => {
  it("the first job carries the split policy; its plan dispatches every chunk job with its task; an object evicted mid-split carries on; the stitch completes the item", async () => {
    const { item, first, planned } = await splitItem();
    expect(first.input.fanout).toEqual({ minSeconds: 90, maxWorkers: 8, chunkSeconds: 30 });
    expect(first.input.task).toBeUndefined();
    expect(planned.body).toMatchObject({ outcome: "applied", status: "transcoding" });
    // Three chunks, all at once (FANOUT_MAX_WORKERS 8), in time order, each the plan and its index.
    const chunks = chunkRuns();
    expect(chunks.map((c) => (c.task?.kind === "chunk" ? [c.task.index, c.task.try] : null))).toEqual([[0, 1], [1, 1], [2, 1]]);
    for (const c of chunks) expect(c.input).toMatchObject({ attemptId: first.input.attemptId, inputKey: first.input.inputKey, task: { chunks: task.chunks, plan: task.plan } });

    const chunkCallback = (i: number, body: object) => sendCallback(payloadFor(chunks[i]! as { jobId: string; input: JobInput }, { chunk: { index: i, try: 1 }, ...body } as never));
    expect((await chunkCallback(0, { status: "progress", phase: "encoding", percent: 50 })).body).toMatchObject({ outcome: "applied" });
    // The object's memory is lost: what it knows of the split is in storage.
    await abortAllDurableObjects();
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "transcoding", chunks: { count: 3, done: 0, stitching: false } });
    for (const i of [0, 1, 2]) expect((await chunkCallback(i, { status: "chunk-completed", encodeSeconds: 20 + i })).body).toMatchObject({ outcome: "applied" });
    expect(runpod.runs.some((r) => r.input.task?.kind === "stitch")).toBe(false);
    await sendCallback(payloadFor(first, { status: "rest-completed" }));
    const stitch = jobOf(runpod.runs.length - 1);
    expect(stitch.input.task).toEqual({ kind: "stitch", tries: [1, 1, 1] });

    const done = await sendCallback(payloadFor(stitch, { status: "completed", output: videoOutput(stitch.input, { durationSeconds: 70 }) }));
    expect(done.body).toMatchObject({ outcome: "applied", status: "ready" });
    const row = await rowWhen(item.id, (r) => r.status === "ready");
    expect(row?.chunkEncodeSeconds).toEqual([20, 21, 22]);
    const ready = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(ready.body).toMatchObject({ status: "ready", percent: 100, chunks: { count: 3, done: 3, encodeSeconds: [20, 21, 22], stitching: true } });
  });

  it("a creator's limits count a split item once, however many chunk jobs it runs (vitest.config.ts: LIMIT_JOBS_IN_FLIGHT 2)", async () => {
    const { item } = await splitItem();
    expect(chunkRuns()).toHaveLength(3);
    const token = item.token;
    const creatorId = item.creatorId;
    const more = [await uploadedItem(creatorId), await uploadedItem(creatorId)];
    const answers = [];
    for (const m of more) answers.push((await api("POST", `/api/media/${m.id}/transcode`, { token })).status);
    // The split item, with its first job and three chunk jobs at RunPod, holds one slot: one more fits, the next waits.
    expect(answers).toEqual([202, 429]);
  });

  it("a plan that breaks the contract (chunks not on segment boundaries) is refused at the door", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const bad = { ...task, chunks: { ...task.chunks, chunks: task.chunks.chunks.map((c, i) => (i === 1 ? { ...c, startFrame: 901 } : c)) } };
    const res = await sendCallback(payloadFor(runpod.lastJob(), { status: "planned", task: bad, durationSeconds: 70 }));
    expect(res.status).toBe(400);
    expect(chunkRuns()).toHaveLength(0);
  });
});
