import { chunkPrefixSegments, jobInput, wantsDownloads, mediaPlaylist, outputKeys, type JobInputDraft, type RenditionName } from "../contract/index.ts";
import type { ObjectStore } from "../clients/object-store.ts";
import { stuckJobBudgetMs, type Config } from "../config.ts";
import { DispatchError, type Dispatcher } from "../clients/runpod.ts";
import { timed } from "../log.ts";
import type { Effect, LifecycleEvent } from "../machine/index.ts";
import type { CreatorObject } from "./creator-object.ts";
import { idsOf, type LifecycleRecord } from "./record.ts";

export interface EffectDeps {
  config: Config;
  dispatcher: Dispatcher;
  /** The media bucket: a split video's rung playlists are published into it as its chunks land. */
  media: Pick<ObjectStore, "putText">;
  creator(rec: LifecycleRecord): DurableObjectStub<CreatorObject>;
  /** Work that need not hold up the answer. */
  background(work: Promise<unknown>): void;
}

/**
 * One handler per effect the machine names, run after the transition is persisted. A handler
 * may answer with the event its outcome means (a dispatch's DISPATCHED): the object applies it
 * as the next transition, so no handler calls back into the object.
 */
export type EffectTable = { [K in Effect["type"]]: (rec: LifecycleRecord, params: Extract<Effect, { type: K }>["params"]) => Promise<LifecycleEvent | LifecycleEvent[] | void> };

export function effectTable(deps: EffectDeps): EffectTable {
  return {
    dispatchJob: (rec, { attemptId }) => dispatch(deps, rec, attemptId),
    cancelJob: async (rec, { jobId }) => {
      if (jobId) await cancelJob(deps, rec, jobId);
    },
    // Chunk jobs go out at once (each its own /run); what each dispatch came to is the next events.
    fanoutEffects: async (rec, { attemptId, effects }) =>
      (
        await Promise.all(
          effects.map((e) => (e.type === "cancelJob" ? cancelJob(deps, rec, e.jobId) : e.type === "publish" ? publish(deps, rec, attemptId, e.chunks) : dispatchChunk(deps, rec, attemptId, e.index, e.try))),
        )
      ).filter((e): e is LifecycleEvent => !!e),
    dispatchStitch: (rec, { attemptId }) => dispatchStitch(deps, rec, attemptId),
    ingestEffects: async (rec, { effects }) =>
      (await Promise.all(effects.map((e) => (e.type === "cancel" ? cancelJob(deps, rec, e.jobId) : dispatchIngest(deps, rec, e.id))))).filter((e): e is LifecycleEvent => !!e),
    touchUpEffects: async (rec, { attemptId, effects }) =>
      (await Promise.all(effects.map((e) => (e.type === "cancel" ? cancelJob(deps, rec, e.jobId) : dispatchTouchUp(deps, rec, attemptId, e.id))))).filter((e): e is LifecycleEvent => !!e),
    // Not on the answer's path: the creator's counter learns of it just after.
    releaseJobSlot: async (rec, { attemptId, refund }) => deps.background(releaseSlot(deps, rec, attemptId, refund)),
  };
}

/** Gives a creator's job slot back. Best effort: a slot never released expires with its lease in the creator's object. */
export async function releaseSlot(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, refund: boolean): Promise<void> {
  await timed("creator.release", { ...idsOf(rec), releasedAttemptId: attemptId, refund }, () => deps.creator(rec).releaseJob(attemptId, refund)).catch(() => {});
}

/** Best effort: the job is no longer wanted, and its late callbacks will be ignored. */
async function cancelJob(deps: EffectDeps, rec: LifecycleRecord, jobId: string): Promise<void> {
  await timed("runpod.cancel", { ...idsOf(rec), cancelledJobId: jobId }, () => deps.dispatcher.cancel(jobId)).catch(() => {});
}

/** One /run of a job of this item's attempt; `extra` names a split video's part (absent: the item's first job). */
async function run(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, extra: Pick<JobInputDraft, "fanout" | "task">, log: Record<string, unknown> = {}): Promise<{ jobId: string }> {
  const c = rec.context;
  // RunPod's own limit: it cannot know the duration either, so it gets the budget of an assumed length.
  const budget = stuckJobBudgetMs(deps.config, c.durationSeconds);
  const input = jobInput.parse({
    contractVersion: 1,
    mediaId: c.mediaId,
    creatorId: c.creatorId,
    mediaType: c.mediaType,
    attemptId,
    inputKey: c.inputKey,
    normalizeAudio: c.normalizeAudio ?? true,
    ...(c.requestedThumbnailSeconds == null ? {} : { thumbnailSeconds: c.requestedThumbnailSeconds }),
    ...(wantsDownloads(c.downloadsRequested) ? { downloads: c.downloadsRequested! } : {}),
    ...(c.clip ? { clip: c.clip } : {}),
    webhookUrl: deps.config.webhookUrl,
    ...extra,
  });
  return timed(
    "runpod.run",
    { ...idsOf(rec), ...log },
    () => deps.dispatcher.run(input, { executionTimeoutMs: budget, ttlMs: budget + deps.config.stuckJob.queueCeilingSeconds * 1000 }),
    (r) => ({ jobId: r.jobId }),
  );
}

/** The split policy a video's first job is handed: none when fan-out is off (one worker). */
function fanoutOf(deps: EffectDeps, rec: LifecycleRecord): Pick<JobInputDraft, "fanout"> {
  const f = deps.config.fanout;
  return rec.context.mediaType === "video" && f.maxWorkers > 1 ? { fanout: { minSeconds: f.minSeconds, maxWorkers: f.maxWorkers, chunkSeconds: f.chunkSeconds } } : {};
}

async function dispatchChunk(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, index: number, tryNo: number): Promise<LifecycleEvent> {
  const at = Date.now();
  const split = rec.context.fanout;
  const event = (report: Extract<LifecycleEvent, { type: "CHUNK" }>["report"]): LifecycleEvent => ({ type: "CHUNK", attemptId, eventId: null, index, try: tryNo, report, at });
  try {
    if (!split) throw new Error("no split in flight");
    const { jobId } = await run(deps, rec, attemptId, { task: { kind: "chunk", index, try: tryNo, ...split.task } }, { chunk: index, try: tryNo });
    return event({ kind: "dispatched", jobId });
  } catch (error) {
    const message = `Could not dispatch the chunk: ${(error as Error).message}`;
    // A lost answer: the job may run; its callbacks name it, and silence gets the chunk tried again.
    if (error instanceof DispatchError && error.ambiguous) return event({ kind: "progress", percent: 0, jobId: null });
    return event({ kind: "failed", error: { code: "INTERNAL", message, retriable: true }, jobId: null });
  }
}

/**
 * Every rung's EVENT playlist over the split's first `chunks` chunks (README "Playable while it
 * transcodes"), written from the plan alone (src/contract/playlists.ts, the stitch's own
 * writer): a viewer's player re-reads it and finds the new segments. Only a publish that was
 * written answers PUBLISHED; one that failed is owed again at the next chunk or alarm.
 */
async function publish(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, chunks: number): Promise<LifecycleEvent | void> {
  const split = rec.context.fanout;
  const segments = split ? chunkPrefixSegments(split.task, chunks) : [];
  if (!split || segments.length === 0 || attemptId !== rec.context.attemptId) return;
  const { hlsRoot } = outputKeys({ creatorId: rec.context.creatorId, mediaId: rec.context.mediaId, attemptId });
  const text = mediaPlaylist(segments, "EVENT");
  try {
    await timed("playlists.publish", { ...idsOf(rec), chunks, segments: segments.length }, () =>
      Promise.all(split.task.plan.rungs.map((r) => deps.media.putText(`${hlsRoot}/${r.name}/index.m3u8`, text, "application/vnd.apple.mpegurl", "public, max-age=1"))),
    );
    return { type: "PUBLISHED", attemptId, chunks, at: Date.now() };
  } catch {
    return;
  }
}

/** The job that copies an item's original from a URL (./ingest.ts); its attempt id is the ingest's own (no outputs yet). */
async function dispatchIngest(deps: EffectDeps, rec: LifecycleRecord, id: string): Promise<LifecycleEvent> {
  const i = rec.context.ingest;
  try {
    if (!i || i.id !== id) throw new Error("no such ingest");
    const { jobId } = await run(deps, rec, id, { task: { kind: "ingest", id, url: i.url, maxBytes: i.maxBytes } }, { ingest: id });
    return { type: "INGEST", step: { kind: "dispatched", id, jobId } };
  } catch (error) {
    return { type: "INGEST", step: { kind: "failed", id, error: { code: "DISPATCH_FAILED", message: `Could not dispatch the copy: ${(error as Error).message}`, retriable: true } } };
  }
}

/** A ready item's touch-up job (./touch-up.ts): under the ready attempt, told what to make and of which rungs. */
async function dispatchTouchUp(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, id: string): Promise<LifecycleEvent> {
  const t = rec.context.touchUp;
  const rungs = (rec.context.output?.readyVariants ?? []).filter((v): v is RenditionName => v !== "audio");
  try {
    if (!t || t.id !== id) throw new Error("no such touch-up");
    const task = { kind: "touch-up" as const, id, rungs, ...(t.request.thumbnailSeconds === undefined ? {} : { thumbnailSeconds: t.request.thumbnailSeconds }), ...(t.request.downloads ? { downloads: t.request.downloads } : {}) };
    const { jobId } = await run(deps, rec, attemptId, { task }, { touchUp: id });
    return { type: "TOUCH_UP", step: { kind: "dispatched", id, jobId } };
  } catch (error) {
    return { type: "TOUCH_UP", step: { kind: "failed", id, eventId: null, jobId: null, error: { code: "DISPATCH_FAILED", message: `Could not dispatch the touch-up: ${(error as Error).message}`, retriable: true }, at: Date.now() } };
  }
}

async function dispatchStitch(deps: EffectDeps, rec: LifecycleRecord, attemptId: string): Promise<LifecycleEvent> {
  const chunks = rec.context.fanout?.state.chunks ?? [];
  try {
    const { jobId } = await run(deps, rec, attemptId, { task: { kind: "stitch", tries: chunks.map((c) => c.try) } }, { stitch: true });
    return { type: "DISPATCHED", attemptId, jobId };
  } catch (error) {
    // The stitch could not be dispatched: the item fails (its manual retry runs the whole again).
    const message = `Could not dispatch the stitch: ${(error as Error).message}`;
    return { type: "FAILED", attemptId, eventId: crypto.randomUUID(), jobId: null, error: { code: "INTERNAL", message, retriable: true }, at: Date.now() };
  }
}

async function dispatch(deps: EffectDeps, rec: LifecycleRecord, attemptId: string): Promise<LifecycleEvent> {
  try {
    const { jobId } = await run(deps, rec, attemptId, fanoutOf(deps, rec));
    return { type: "DISPATCHED", attemptId, jobId };
  } catch (error) {
    const message = (error as Error).message;
    // No answer is not a refusal: RunPod may hold the job. Keep the attempt; its callbacks will tell.
    return error instanceof DispatchError && error.ambiguous ? { type: "DISPATCH_UNCONFIRMED", attemptId, message } : { type: "DISPATCH_FAILED", attemptId, message };
  }
}
