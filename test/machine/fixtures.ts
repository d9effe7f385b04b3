import { randomUUID } from "node:crypto";
import { lifecycleMachine, type Actor, type LifecycleContext, type LifecycleEvent, type LifecycleState } from "../../src/machine/index.ts";
import { outputKeys, type FanoutTask, type JobOutput } from "../../src/contract/index.ts";

export const creatorId = "11111111-1111-4111-8111-111111111111";
export const owner: Actor = { kind: "user", userId: creatorId, role: "creator" };
export const stranger: Actor = { kind: "user", userId: "22222222-2222-4222-8222-222222222222", role: "creator" };
export const admin: Actor = { kind: "user", userId: "33333333-3333-4333-8333-333333333333", role: "admin" };

export const currentAttempt = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
/** The item of every snapshot here: a completion's keys must be the contract's for it and the attempt. */
export const mediaId = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const keys = outputKeys({ creatorId, mediaId, attemptId: currentAttempt });
export const AT = 1_700_000_000_000;

export function output(overrides: Partial<JobOutput> = {}): JobOutput {
  return {
    mediaType: "video",
    hlsMasterKey: keys.hlsMaster,
    hlsPreviewKey: keys.hlsPreview,
    thumbnailKey: keys.thumbnail,
    waveformKey: null,
    waveformImageKey: null,
    mezzanineKey: null,
    durationSeconds: 12.5,
    width: 1920,
    height: 1080,
    readyVariants: ["1080p", "720p"],
    loudness: null,
    encoder: "libx264",
    thumbnailSeconds: 1.25,
    subtitles: [],
    storyboardKey: keys.storyboard,
    storyboardVttKey: keys.storyboardVtt,
    downloads: [],
    ...overrides,
  };
}

/** A snapshot in `state` as the lifecycle would have left it there. */
export function snapshotIn(state: LifecycleState, context: Partial<LifecycleContext> = {}) {
  const base: LifecycleContext = {
    mediaId,
    creatorId,
    mediaType: "video",
    inputKey: `${creatorId}/originals/x/in.mp4`,
    durationSeconds: 10,
    retriesUsed: 0,
    attemptId: state === "uploading" || state === "uploaded" ? null : currentAttempt,
    jobId: state === "transcoding" ? "job-1" : null,
    dispatchedFrom: state === "uploading" || state === "uploaded" ? null : "uploaded",
    phase: null,
    percent: state === "transcoding" ? 40 : 0,
    error: state === "failed" ? { code: "ENCODE_FAILED", message: "boom", retriable: true } : null,
    output: state === "ready" ? output() : null,
    startedAt: state === "uploading" || state === "uploaded" ? null : AT,
    finishedAt: state === "ready" || state === "failed" ? AT + 5000 : null,
    deadlineAt: state === "transcoding" ? AT + 900_000 : null,
    lastActivityAt: null,
    hardDeadlineAt: null,
    dispatchUnconfirmed: false,
    cancelledJobIds: [],
    seenEventIds: ["99999999-9999-4999-8999-999999999999"],
  };
  return lifecycleMachine.resolveState({ value: state, context: { ...base, ...context } });
}

export const seenEventId = "99999999-9999-4999-8999-999999999999";
/** The stuck-job policy of the samples: a 10-minute stall window, an hour's queue ceiling. */
export const POLICY = { stallMs: 600_000, queueCeilingMs: 3_600_000 };

/** One event of each type, from the owner, for the current attempt, with a fresh event id. */
export function sampleEvent(type: LifecycleEvent["type"], actor: Actor = owner): LifecycleEvent {
  const attemptId = currentAttempt;
  switch (type) {
    case "UPLOAD_COMPLETE":
      return { type, actor, objectExists: true };
    case "TRIGGER":
    case "RETRY":
      return { type, actor, inputExists: true, admission: { ok: true }, attemptId: randomUUID(), at: AT + 10_000, deadlineAt: AT + 610_000 };
    case "DISPATCHED":
      return { type, attemptId, jobId: "job-2" };
    case "DISPATCH_FAILED":
      return { type, attemptId, message: "RunPod answered 500" };
    case "DISPATCH_UNCONFIRMED":
      return { type, attemptId, message: "RunPod did not answer within 10000 ms" };
    case "PROGRESS":
      return { type, attemptId, eventId: randomUUID(), jobId: null, phase: "encoding", percent: 50, at: AT + 15_000, hardDeadlineAt: null };
    case "COMPLETED":
      return { type, attemptId, eventId: randomUUID(), jobId: "job-1", output: output(), at: AT + 20_000 };
    case "FAILED":
      return { type, attemptId, eventId: randomUUID(), jobId: "job-1", error: { code: "ENCODE_FAILED", message: "x", retriable: true }, at: AT + 20_000 };
    case "TIMEOUT":
      return { type, at: AT + 1_000_000, runpod: { status: "IN_PROGRESS", result: null, detail: null }, policy: POLICY };
    case "CANCEL":
      return { type, actor: actor === owner ? admin : actor, at: AT + 30_000 };
    case "DELETED":
      return { type, at: AT + 40_000 };
    case "DELETE":
      return { type, actor, at: AT + 40_000 };
    case "PLANNED":
      return { type, attemptId, eventId: randomUUID(), jobId: "job-1", task: sampleTask(), policy: SPLIT_POLICY, at: AT + 12_000, hardDeadlineAt: AT + 2_000_000 };
    case "CHUNK":
      return { type, attemptId, eventId: randomUUID(), index: 0, try: 1, report: { kind: "completed", encodeSeconds: 20, jobId: "chunk-job-0" }, at: AT + 30_000 };
    case "REST_COMPLETED":
      return { type, attemptId, eventId: randomUUID(), jobId: "job-1", at: AT + 30_000 };
    case "PUBLISHED":
      return { type, attemptId, chunks: 1, at: AT + 31_000 };
    case "INGEST":
      return { type, actor, step: { kind: "request", id: randomUUID(), url: "https://media.example.com/a.mp4", maxBytes: 1 << 30, transcode: true, at: AT + 1_000, deadlineAt: AT + 601_000 } };
    case "TOUCH_UP":
      return { type, actor, step: { kind: "request", id: randomUUID(), request: { thumbnailSeconds: 3 }, at: AT + 50_000, deadlineAt: AT + 650_000 } };
  }
}

/** The split policy of the samples: two chunk jobs at once, two tries more per chunk, a one-minute stall window. */
export const SPLIT_POLICY = { maxWorkers: 2, chunkRetries: 2, stallMs: 60_000 };

/** A 100 s 30 fps video in chunks of 30 s (5 segments of 6 s), the last 10 s: what a first job reports. */
export function sampleTask(): FanoutTask {
  const spans = [0, 1, 2, 3].map((i) => ({ index: i, startFrame: i * 900, frames: i < 3 ? 900 : null, startSeconds: i * 30, firstSegment: i * 5, seekSeconds: Math.max(0, i * 30 - 1) }));
  return {
    plan: { rungs: [{ name: "360p", width: 640, height: 360, videoKbps: 800, maxrateKbps: 856, bufsizeKbps: 1600, level: "3.0" }], fps: 30, gop: 60, rotated: false, toneMap: false, toEightBit: false },
    chunks: { fps: 30, firstTick: 0, segmentFrames: 180, chunks: spans },
    storyboard: { interval: 5, tiles: 20, columns: 10, rows: 2, tileWidth: 160, tileHeight: 90 },
    demuxer: "mov,mp4,m4a,3gp,3g2,mj2",
    length: 100,
    mezzanine: false,
  };
}
