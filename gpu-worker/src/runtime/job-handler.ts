import { mkdir, rm } from "node:fs/promises";
import { extname, join } from "node:path";
import { jobInput, type ClipSource, type JobInput, type JobResult, type Phase } from "../../../src/contract/index.ts";
import { cutClip } from "../clip.ts";
import type { EncoderChoice } from "../encoders/detect.ts";
import { PipelineError } from "../errors.ts";
import { classify, stepTimeoutMs } from "../pipeline/step.ts";
import { DEFAULTS, runPipeline } from "../pipeline.ts";
import { ProgressTracker } from "../progress.ts";
import { CallbackSender, type CallbackOptions } from "./callback-sender.ts";
import { OutputUploader } from "./output-uploader.ts";
import type { DoneBody, RunpodJob } from "./runpod-worker.ts";
import { rangeBytes, sparseCopy } from "../fanout/byte-ranges.ts";
import { planSplit, runChunkJob, runFirstOfSplit, runStitchJob, type SplitRun } from "./split-jobs.ts";
import type { PipelineJob } from "../pipeline/types.ts";
import { isMissing, StoreError, type S3Store } from "./s3-store.ts";
import { whilePublishing } from "./publishing.ts";
import { runTouchUpJob } from "./touch-up-job.ts";
import { runIngestJob } from "./ingest-job.ts";

export interface HandlerDeps {
  media: S3Store;
  /** The archive (B2) bucket; null when none is configured: then no mezzanine. */
  archive: S3Store | null;
  webhookSecret: string;
  /**
   * The only origins a job's `webhookUrl` may name (WEBHOOK_ALLOWED_ORIGINS): whoever can put a
   * job on RunPod's queue must not get validly signed callbacks sent to a host of their choosing.
   */
  allowedWebhookOrigins: string[];
  /** INGEST_ALLOW_HOSTS: hosts an ingest may reach although the address rules refuse them (tests' loopback servers). */
  ingestAllowHosts?: string[];
  scratchRoot: string;
  encoder: EncoderChoice;
  maxDurationSeconds?: number;
  /** MAX_INPUT_PIXELS: frames above it are refused before decoding (default 36 MP). */
  maxPixels?: number;
  /** FFMPEG_MEMORY_LIMIT_MB in bytes, null for none (set once at start, see spawn.ts setMemoryLimit). */
  memoryLimitBytes?: number | null;
  uploadConcurrency?: number;
  callbacks?: CallbackOptions;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export type HandlerOutcome =
  | { kind: "result"; result: JobResult; timings: Record<string, number> }
  /** The input failed the contract: nobody to call back, only RunPod to tell. */
  | { kind: "invalid"; message: string };

/** The RunPod job: download → pipeline → upload → signed callback; scratch removed whatever happens. */
export async function handleJob(
  job: RunpodJob,
  deps: HandlerDeps,
  opts: { signal?: AbortSignal; onProgress?: (p: { phase: Phase; percent: number }) => void } = {},
): Promise<HandlerOutcome> {
  const parsed = jobInput.safeParse(job.input);
  if (!parsed.success) {
    return { kind: "invalid", message: `job input does not match the contract: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
  }
  const input: JobInput = parsed.data;
  const origin = new URL(input.webhookUrl).origin;
  if (!deps.allowedWebhookOrigins.includes(origin)) {
    // Nobody is called back: the URL is the part not to be trusted.
    return { kind: "invalid", message: `webhookUrl's origin ${origin} is not one this worker may call (WEBHOOK_ALLOWED_ORIGINS)` };
  }
  const log = (event: string, fields: Record<string, unknown> = {}) =>
    deps.log?.(event, { jobId: job.id, mediaId: input.mediaId, attemptId: input.attemptId, ...fields });
  const task = input.task;
  const sender = new CallbackSender(
    {
      webhookUrl: input.webhookUrl,
      secret: deps.webhookSecret,
      mediaId: input.mediaId,
      attemptId: input.attemptId,
      jobId: job.id,
      ...(task?.kind === "chunk" ? { chunk: { index: task.index, try: task.try } } : {}),
      ...(task?.kind === "touch-up" ? { touchUp: { id: task.id } } : {}),
      ...(task?.kind === "ingest" ? { ingest: { id: task.id } } : {}),
    },
    { ...deps.callbacks, log: (e, f) => log(e, f), onProgressSent: opts.onProgress },
  );
  // The job's one tracker, shared with the pipeline: one 0–100 scale, only forward moves leave;
  // the sender alone throttles what goes over the network (and tells the caller what left).
  const tracker = new ProgressTracker((p) => sender.progress(p.phase, p.percent));
  const scratch = join(deps.scratchRoot, scratchName(job.id));
  const timings: Record<string, number> = {};
  const uploader = new OutputUploader({ media: deps.media, archive: deps.archive }, deps.uploadConcurrency ?? 8, opts.signal);
  const started = Date.now();
  const original = join(scratch, `original${extname(input.inputKey).slice(0, 10)}`);
  const outDir = join(scratch, "out");
  const pipelineJob: PipelineJob = {
    input: original,
    outDir,
    creatorId: input.creatorId,
    mediaId: input.mediaId,
    attemptId: input.attemptId,
    mediaType: input.mediaType,
    renditions: input.renditions,
    segmentSeconds: input.segmentSeconds,
    previewSeconds: input.previewSeconds,
    loudnessTarget: input.loudnessTarget,
    normalizeAudio: input.normalizeAudio,
    thumbnailSeconds: input.thumbnailSeconds,
    downloads: input.downloads,
    encoder: deps.encoder,
    archive: deps.archive !== null,
    maxDurationSeconds: deps.maxDurationSeconds ?? DEFAULTS.maxDurationSeconds,
    maxPixels: deps.maxPixels,
    signal: opts.signal,
    progress: tracker,
    onProbed: (info) => sender.setDuration(info.durationSeconds),
    log: (line) => log("pipeline.log", { line }),
  };
  const split: SplitRun = { input, job: pipelineJob, media: deps.media, sender, tracker, uploader, scratch, signal: opts.signal, log };
  const finish = (done: { result: JobResult; timings: Record<string, number> }): HandlerOutcome => {
    const all = { ...timings, ...done.timings, total: Date.now() - started };
    log("job.completed", { result: done.result.status, timings: all });
    return { kind: "result", result: done.result, timings: all };
  };

  try {
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    await mkdir(outDir, { recursive: true });
    // The stitch works from what the other jobs left beside the plan: no original to fetch.
    if (task?.kind === "stitch") return finish(await runStitchJob(split, task));
    // A ready item's touch-up fetches what it needs itself (the original, or the ready segments).
    if (task?.kind === "touch-up") return finish(await runTouchUpJob(split, task));
    // An ingest has no original yet: it makes one, from a URL.
    if (task?.kind === "ingest") return finish(await runIngestJob(split, task, deps.ingestAllowHosts ?? []));
    tracker.report("downloading", 0);
    let t = Date.now();
    try {
      const span = task?.kind === "chunk" ? task.chunks.chunks[task.index] : undefined;
      const ranges = task?.kind === "chunk" && task.sourceSize && span?.bytes ? { size: task.sourceSize, ranges: span.bytes } : null;
      // A clip's first job makes its original from the source's (later attempts find it there).
      const cut = task?.kind !== "chunk" && input.clip && !(await deps.media.head(input.inputKey)) ? input.clip : null;
      const bytes = cut
        ? await makeClipOriginal(deps, input, cut, scratch, original, opts.signal)
        : ranges
          ? await fetchRanges(deps, input.inputKey, original, ranges, opts.signal)
          : await deps.media.download(input.inputKey, original, opts.signal);
      log("job.downloaded", { bytes, ms: Date.now() - t, ...(ranges ? { of: ranges.size, ranges: ranges.ranges.length } : {}), ...(cut ? { clipOf: cut.sourceMediaId } : {}) });
    } catch (error) {
      // A clip's cut says what was wrong with its source (unreadable, too long…) itself.
      if (opts.signal?.aborted || error instanceof PipelineError) throw error;
      if (isMissing(error)) {
        throw new PipelineError("INPUT_NOT_FOUND", `The original (${input.inputKey}) is not in the media bucket`, false, { cause: error });
      }
      throw new PipelineError("INTERNAL", `Could not download the original: ${(error as Error).message}`, true, { cause: error });
    }
    timings.download = Date.now() - t;
    tracker.report("downloading", 1);
    if (task?.kind === "chunk") return finish(await runChunkJob(split, task));
    const plan = input.fanout ? await planSplit(split, input.fanout) : { info: null };
    if ("split" in plan) return finish(await runFirstOfSplit(split, plan.split));

    const result = await whilePublishing({ job: pipelineJob, uploader, media: deps.media, sender, signal: opts.signal, log }, () => runPipeline(pipelineJob, plan.info ?? undefined));
    Object.assign(timings, result.timings);

    t = Date.now();
    tracker.report("uploading", 0);
    try {
      const stats = await uploader.uploadAll(result.files);
      log("job.uploaded", { ...stats, ms: Date.now() - t });
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      throw new PipelineError("UPLOAD_FAILED", `Could not upload the outputs: ${(error as Error).message}`, true, { cause: error });
    }
    timings.upload = Date.now() - t;
    tracker.report("uploading", 1);

    const delivery = await sender.completed(result.output);
    timings.total = Date.now() - started;
    log("job.completed", { ...delivery, timings });
    return { kind: "result", result: { status: "completed", attemptId: input.attemptId, output: result.output }, timings };
  } catch (error) {
    const raw = classify("The job", error, opts.signal);
    // Messages reach people (dashboard, API): say "the original", not this machine's scratch path.
    const failure = new PipelineError(raw.code, raw.message.replace(new RegExp(`${escapeRegExp(scratch)}/original[^\\s:]*`, "g"), "the original").replaceAll(scratch, "scratch"), raw.retriable, { cause: raw });
    await uploader.settle();
    const delivery = await sender.failed(failure.toJSON());
    timings.total = Date.now() - started;
    log("job.failed", { code: failure.code, message: failure.message, ...delivery });
    return { kind: "result", result: { status: "failed", attemptId: input.attemptId, error: failure.toJSON() }, timings };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}


/**
 * A clip's original: its source's original fetched, the range cut from it (clip.ts), and the cut
 * stored at the clip's own key, so that a retry or a chunk job reads it like any upload.
 */
async function makeClipOriginal(deps: HandlerDeps, input: JobInput, clip: ClipSource, scratch: string, original: string, signal?: AbortSignal): Promise<number> {
  const source = join(scratch, `source${extname(clip.sourceKey).slice(0, 10)}`);
  try {
    await deps.media.download(clip.sourceKey, source, signal);
  } catch (error) {
    if (isMissing(error)) {
      throw new PipelineError("INPUT_NOT_FOUND", "The clip's source original is no longer in the media bucket", false, { cause: error });
    }
    throw error;
  }
  await cutClip({
    source, output: original, startSeconds: clip.startSeconds, endSeconds: clip.endSeconds,
    maxDurationSeconds: deps.maxDurationSeconds ?? DEFAULTS.maxDurationSeconds, maxPixels: deps.maxPixels, opts: { signal, timeoutMs: stepTimeoutMs(clip.endSeconds - clip.startSeconds) },
  });
  await rm(source, { force: true });
  const bytes = await deps.media.upload(input.inputKey, original, signal);
  return bytes;
}

/**
 * A chunk's part of an MP4/MOV original (fanout/byte-ranges.ts): a local file of the original's
 * size with only the chunk's ranges filled in. The original must still be the one the plan read
 * (same size), else the whole file is fetched.
 */
async function fetchRanges(deps: HandlerDeps, key: string, path: string, o: { size: number; ranges: { start: number; end: number }[] }, signal?: AbortSignal): Promise<number> {
  const head = await deps.media.head(key);
  if (!head) throw new StoreError("the original is not in the media bucket", 404);
  if (head.size !== o.size) return deps.media.download(key, path, signal);
  await sparseCopy(path, o.size, o.ranges, (r) => deps.media.downloadRange(key, path, r.start, r.end, signal).then(() => {}));
  return rangeBytes(o.ranges);
}

/** What goes back to RunPod: the job result as output (so /status agrees with the callback), error for FAILED. */
export function doneBody(outcome: HandlerOutcome): DoneBody {
  if (outcome.kind === "invalid") return { error: outcome.message };
  const r = outcome.result;
  return r.status === "failed" ? { output: r, error: `${r.error.code}: ${r.error.message}` } : { output: r };
}

/**
 * The job's scratch folder under the root, from RunPod's job id: letters, digits, `_` and `-`
 * only, behind a fixed prefix, so no id (`..`, `.`, `a/../..`) can name the root or anything above it.
 */
export function scratchName(jobId: string): string {
  return `job-${jobId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 120)}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
