import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chunkManifest, fanoutKeys, isChunkSegmentKey, outputKeys, type ChunkManifest, type ChunkTask, type FanoutPolicyInput, type JobInput, type JobResult, type StitchTask } from "../../../src/contract/index.ts";
import { PipelineError } from "../errors.ts";
import { chunkDir, fanoutTaskOf, mezzanineDir, partName, planFanout, runChunk, runRest, stitchFanout, tilesDir, type ChunkResult, type FanoutPlan, type RestResult } from "../fanout/steps.ts";
import { hlsFiles } from "../pipeline.ts";
import type { OutputFile, PipelineJob } from "../pipeline/types.ts";
import { probe, type MediaInfo } from "../probe.ts";
import type { ProgressTracker } from "../progress.ts";
import type { CallbackSender } from "./callback-sender.ts";
import type { OutputUploader } from "./output-uploader.ts";
import type { S3Store } from "./s3-store.ts";
import { whilePublishing } from "./publishing.ts";

/**
 * The RunPod jobs of one video split across workers (README "Long videos"): the item's first
 * job plans the split and does the whole-file work, chunk jobs encode their spans, and the
 * stitch job writes the playlists and joins the parts. They share nothing but the media
 * bucket: the plan, the whole-file job's parts and each chunk try's manifest lie under the
 * attempt's fan-out keys (never served), the segments under their final keys.
 */
export interface SplitRun {
  input: JobInput;
  /** The pipeline's job over this RunPod job's scratch (its input is the downloaded original). */
  job: PipelineJob;
  media: S3Store;
  sender: CallbackSender;
  tracker: ProgressTracker;
  uploader: OutputUploader;
  scratch: string;
  signal?: AbortSignal;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

type Done = { result: JobResult; timings: Record<string, number> };

const upload = async (run: SplitRun, files: OutputFile[]) => {
  try {
    await run.uploader.uploadAll(files);
  } catch (error) {
    if (run.signal?.aborted) throw error;
    throw new PipelineError("UPLOAD_FAILED", `Could not upload the outputs: ${(error as Error).message}`, true, { cause: error });
  }
};

/** A small JSON file of ours, written to scratch and uploaded under `key`. */
async function putJson(run: SplitRun, key: string, value: unknown): Promise<void> {
  const path = join(run.scratch, key.replaceAll("/", "_"));
  await writeFile(path, JSON.stringify(value));
  await upload(run, [{ bucket: "media", key, path }]);
}

async function getJson<T>(run: SplitRun, key: string): Promise<T> {
  const path = join(run.scratch, key.replaceAll("/", "_"));
  await run.media.download(key, path, run.signal);
  return JSON.parse(await readFile(path, "utf8")) as T;
}

/**
 * The first job's question: is this video split? Only a video at least `minSeconds` long (the
 * probe says, before anything is decoded) whose plan has more than one chunk. Otherwise the
 * probe's answer, for the one job to go on from.
 */
export async function planSplit(run: SplitRun, policy: FanoutPolicyInput): Promise<{ split: FanoutPlan } | { info: MediaInfo | null }> {
  if (policy.maxWorkers < 2 || run.input.mediaType !== "video") return { info: null };
  const info = await probe(run.job.input, { maxDurationSeconds: run.job.maxDurationSeconds, maxPixels: run.job.maxPixels, signal: run.signal });
  // Not split: the one job goes on from this probe.
  if (!info.video || info.durationSeconds < policy.minSeconds) return { info };
  run.tracker.report("probing", 0.5);
  const fp = await planFanout(run.job, { chunkSeconds: policy.chunkSeconds }, info);
  return fp.chunks.chunks.length > 1 ? { split: fp } : { info };
}

/**
 * The first job of a split video: the plan goes beside the item's files and to the control plane
 * (which dispatches the chunks at once), then this job makes everything made once from the whole
 * file, uploads it, and says so. The item is finished by the stitch.
 */
export async function runFirstOfSplit(run: SplitRun, fp: FanoutPlan): Promise<Done> {
  const keys = fanoutKeys(run.input);
  await putJson(run, keys.plan, fp);
  const told = await run.sender.planned(fanoutTaskOf(fp), fp.length);
  if (!told.delivered) throw new PipelineError("INTERNAL", `The control plane did not take the plan (HTTP ${told.status ?? "none"})`, true);
  run.log("split.planned", { chunks: fp.chunks.chunks.length, length: fp.length });
  // Its sound is published as it is encoded: with the chunks' rungs (published by the item's object) the item becomes playable.
  const rest = await whilePublishing(run, () => runRest(run.job, fp));
  // Its HLS renditions (sound, preview, subtitles) are its own to upload: the stitch writes only the rungs' playlists and the master.
  const { hlsRoot } = outputKeys(run.input);
  const files = [...rest.files, ...(await hlsFiles(join(run.job.outDir, hlsRoot), hlsRoot))];
  // The mezzanine's sound, for the stitch to join with the chunks' parts of its picture.
  if (fp.mezzanine === "parts" && fp.info.audio) files.push({ bucket: "media", key: keys.mezzanineAudio, path: join(mezzanineDir(run.job), "audio.m4a") });
  await upload(run, files);
  await putJson(run, keys.rest, { ...rest, files: [] } satisfies RestResult);
  await run.sender.restCompleted();
  return { result: { status: "part-completed", attemptId: run.input.attemptId }, timings: rest.timings };
}

/** A chunk job: its span of every rung (segments under their own keys), its storyboard tiles, its mezzanine part, and its manifest. */
export async function runChunkJob(run: SplitRun, task: ChunkTask): Promise<Done> {
  const keys = fanoutKeys(run.input);
  const { hlsRoot } = outputKeys(run.input);
  const result = await runChunk(run.job, task);
  const dir = chunkDir(run.job, task.index);
  const files: OutputFile[] = [];
  for (const [rung, segments] of Object.entries(result.segments)) {
    for (const s of segments) {
      const key = `${hlsRoot}/${rung}/${s.uri}`;
      // runChunk checked these already; the upload is where it matters.
      if (!isChunkSegmentKey(key, run.input, task)) throw new PipelineError("ENCODE_FAILED", `Chunk ${task.index} may not write ${key}`);
      files.push({ bucket: "media", key, path: join(dir, rung, s.uri) });
    }
  }
  const tiles = (await readdir(tilesDir(run.job)).catch(() => [] as string[])).filter((n) => /^tile_\d{4}\.png$/.test(n)).sort();
  for (const name of tiles) files.push({ bucket: "media", key: keys.tile(task.index, task.try, name), path: join(tilesDir(run.job), name) });
  if (task.mezzanine) files.push({ bucket: "media", key: keys.mezzaninePart(task.index, task.try), path: join(mezzanineDir(run.job), partName(task.index)) });
  await upload(run, files);
  const manifest: ChunkManifest = { index: task.index, try: task.try, encoder: result.encoder, seconds: result.seconds, segments: result.segments, tiles };
  await putJson(run, keys.manifest(task.index, task.try), chunkManifest.parse(manifest));
  await run.sender.chunkCompleted(result.seconds);
  return { result: { status: "part-completed", attemptId: run.input.attemptId }, timings: { chunk: Math.round(result.seconds * 1000) } };
}

/**
 * The stitch: reads the plan, the whole-file job's parts and the manifests of the tries the item
 * accepted, fetches the tiles and mezzanine parts, writes every playlist and the master, joins
 * the storyboard and the mezzanine, uploads them, and completes the item. Then the fan-out's
 * working files go.
 */
export async function runStitchJob(run: SplitRun, task: StitchTask): Promise<Done> {
  const keys = fanoutKeys(run.input);
  const fp = await getJson<FanoutPlan>(run, keys.plan);
  const rest = await getJson<RestResult>(run, keys.rest);
  if (task.tries.length !== fp.chunks.chunks.length) throw new PipelineError("INTERNAL", `The stitch names ${task.tries.length} chunks; the plan has ${fp.chunks.chunks.length}`, false);
  run.tracker.report("packaging", 0.1);
  await mkdir(tilesDir(run.job), { recursive: true });
  await mkdir(mezzanineDir(run.job), { recursive: true });
  const chunks: ChunkResult[] = [];
  const fetched: string[] = [keys.plan, keys.rest];
  for (const [index, tryNo] of task.tries.entries()) {
    const manifestKey = keys.manifest(index, tryNo);
    const m = chunkManifest.parse(await getJson(run, manifestKey));
    fetched.push(manifestKey);
    const chunkTask = { index, chunks: fp.chunks, plan: fp.plan };
    for (const [rung, segments] of Object.entries(m.segments)) {
      const stray = segments.find((s) => !isChunkSegmentKey(`${outputKeys(run.input).hlsRoot}/${rung}/${s.uri}`, run.input, chunkTask));
      if (m.index !== index || m.try !== tryNo || stray) throw new PipelineError("INTERNAL", `Chunk ${index}'s manifest names files that are not its own`, false);
    }
    for (const name of m.tiles) {
      await run.media.download(keys.tile(index, tryNo, name), join(tilesDir(run.job), name), run.signal);
      fetched.push(keys.tile(index, tryNo, name));
    }
    if (fp.mezzanine === "parts") {
      await run.media.download(keys.mezzaninePart(index, tryNo), join(mezzanineDir(run.job), partName(index)), run.signal);
      fetched.push(keys.mezzaninePart(index, tryNo));
    }
    chunks.push({ index, encoder: m.encoder, seconds: m.seconds, segments: m.segments });
    run.tracker.report("packaging", 0.1 + (0.4 * (index + 1)) / task.tries.length);
  }
  if (fp.mezzanine === "parts" && fp.info.audio) {
    await run.media.download(keys.mezzanineAudio, join(mezzanineDir(run.job), "audio.m4a"), run.signal);
    fetched.push(keys.mezzanineAudio);
  }
  const stitched = await stitchFanout(run.job, fp, rest, chunks, {
    segmentsInPlace: true,
    // Downloads remux segments the chunk jobs (and the whole-file job) uploaded: fetched back for it.
    fetchSegment: async (key, path) => void (await run.media.download(key, path, run.signal)),
  });
  run.tracker.report("uploading", 0);
  await upload(run, stitched.files);
  await run.sender.completed(stitched.output);
  // Best effort: what is left is removed with the item.
  await Promise.allSettled(fetched.map((k) => run.media.delete(k)));
  return { result: { status: "completed", attemptId: run.input.attemptId, output: stitched.output }, timings: stitched.timings };
}
