import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { JOB_DEFAULTS, outputKeys, type Download, type JobOutput, type KeyScope, type MediaType } from "../../src/contract/index.ts";
import { makeDownloads } from "./outputs/downloads.ts";
import { sourceInputFlags } from "./containers.ts";
import { PipelineError } from "./errors.ts";
import { baseInputFlags, runTool } from "./ffmpeg/spawn.ts";
import { probe, type MediaInfo } from "./probe.ts";
import { ProgressTracker } from "./progress.ts";
import { mezzanineArgs, mezzanineRemuxes } from "./stills-args.ts";
import { finishPlaylists } from "./outputs/finish-playlists.ts";
import { runAudio } from "./pipeline/audio.ts";
import { classify, nonEmpty, step, stepTimeoutMs } from "./pipeline/step.ts";
import type { MediaParts, OutputFile, PipelineJob, PipelineResult, StepContext } from "./pipeline/types.ts";
import { runVideo } from "./pipeline/video.ts";

export type { OutputFile, PipelineJob, PipelineResult } from "./pipeline/types.ts";

/** The contract's job defaults, and the worker's own input limit. */
export const DEFAULTS = {
  ...JOB_DEFAULTS,
  maxDurationSeconds: 4 * 3600,
};

/** The whole job on local disk: probe, then the video or the audio half, then the mezzanine. Fails with a PipelineError only. */
export async function runPipeline(job: PipelineJob, known?: MediaInfo): Promise<PipelineResult> {
  try {
    return await run(job, known);
  } catch (error) {
    throw classify("The job", error, job.signal);
  }
}

async function run(job: PipelineJob, known?: MediaInfo): Promise<PipelineResult> {
  const ctx = await openJob(job, known);
  const parts = job.mediaType === "video" ? await runVideo(ctx) : await runAudio(ctx);
  return finishJob(ctx, parts);
}

/** The job's last steps, after its half: the mezzanine, then every file of the HLS tree and the result. */
export async function finishJob(ctx: StepContext, parts: MediaParts): Promise<PipelineResult> {
  const { job, keys, hlsDir, progress } = ctx;
  const archived = job.archive ? await archive(ctx) : false;
  await finishPlaylists(hlsDir);
  // Downloads come from the finished playlists' segments: a remux, no second encode.
  const made = await step(ctx.timings, "downloads", () =>
    makeDownloads({ request: job.downloads, hlsDir, rungs: parts.rungs ?? [], hasAudio: !!ctx.info.audio, scope: job, at: ctx.at, base: ctx.base, opts: ctx.opts }),
  );
  progress.report("packaging", 1);
  ctx.files.push(...made.files, ...(await hlsFiles(hlsDir, keys.hlsRoot)));
  return { output: jobResult(job.mediaType, keys, parts, archived, made.downloads), files: ctx.files, info: ctx.info, timings: ctx.timings };
}

/** Probe (unless told what a probe found), refuse what the item cannot be, make the folders, and the context every step shares. */
export async function openJob(job: PipelineJob, known?: MediaInfo): Promise<StepContext> {
  const timings: Record<string, number> = {};
  const progress = job.progress ?? new ProgressTracker((e) => job.onProgress?.(e));
  const keys = outputKeys(job);
  const at = (key: string) => join(job.outDir, key);
  const hlsDir = at(keys.hlsRoot);
  const base = baseInputFlags();

  progress.report("probing", 0);
  const info =
    known ??
    (await step(timings, "probe", () => probe(job.input, { maxDurationSeconds: job.maxDurationSeconds, maxPixels: job.maxPixels, signal: job.signal })));
  job.onProbed?.(info);
  if (job.mediaType === "video" && !info.video) {
    throw new PipelineError("NO_MEDIA_STREAMS", "The item was uploaded as video but the file has no video stream; upload it as audio");
  }
  if (job.mediaType === "audio" && !info.audio) throw new PipelineError("NO_MEDIA_STREAMS", "The item was uploaded as audio but the file has no audio stream");
  // FFmpeg's HLS muxer does not create directories.
  for (const dir of [...job.renditions, "audio", "preview"]) await mkdir(join(hlsDir, dir), { recursive: true });

  return {
    job,
    info,
    keys,
    at,
    hlsDir,
    base,
    // Every command that opens the original is held to the demuxer the probe decided.
    source: sourceInputFlags(info.demuxer),
    opts: { signal: job.signal, timeoutMs: stepTimeoutMs(info.durationSeconds) },
    timings,
    progress,
    files: [],
  };
}

/**
 * The one place a job's result is assembled: which keys an item has follows from its media type
 * and whether a mezzanine was archived; the rest is what its half measured.
 */
export function jobResult(mediaType: MediaType, keys: ReturnType<typeof outputKeys>, parts: MediaParts, archived: boolean, downloads: Download[] = []): JobOutput {
  const video = mediaType === "video";
  return {
    mediaType,
    hlsMasterKey: keys.hlsMaster,
    hlsPreviewKey: keys.hlsPreview,
    thumbnailKey: video ? keys.thumbnail : null,
    waveformKey: video ? null : keys.waveform,
    waveformImageKey: video ? null : keys.waveformImage,
    mezzanineKey: archived ? keys.mezzanine : null,
    storyboardKey: video ? keys.storyboard : null,
    storyboardVttKey: video ? keys.storyboardVtt : null,
    durationSeconds: Math.round(parts.durationSeconds * 1000) / 1000,
    width: parts.width,
    height: parts.height,
    readyVariants: parts.readyVariants,
    loudness: parts.loudness ? { integrated: parts.loudness.integrated, truePeak: parts.loudness.truePeak, range: parts.loudness.range } : null,
    encoder: parts.encoder,
    thumbnailSeconds: parts.thumbnailSeconds,
    subtitles: parts.subtitles,
    downloads,
  };
}

/** The high-quality mezzanine for the archive bucket. */
export async function archive(ctx: StepContext): Promise<boolean> {
  const { job, info, keys, at, source, opts, timings, files } = ctx;
  const mezz = at(keys.mezzanine);
  await mkdir(dirname(mezz), { recursive: true });
  const videoCodec = job.mediaType === "video" ? (info.video?.codec ?? null) : null;
  const remux = mezzanineRemuxes(videoCodec, info.audio?.codec ?? null, info.formatName);
  await step(timings, "mezzanine", () =>
    runTool(
      "ffmpeg",
      mezzanineArgs({ input: job.input, output: mezz, remux, videoCodec, hasAudio: !!info.audio, base: source, streams: { video: info.video?.stream, audio: info.audio?.stream } }),
      opts,
    ),
  );
  await nonEmpty(mezz, "mezzanine");
  files.push({ bucket: "archive", key: keys.mezzanine, path: mezz });
  return true;
}

/** Every file of the HLS tree, with its key. */
export async function hlsFiles(hlsDir: string, hlsRoot: string): Promise<OutputFile[]> {
  const entries = await readdir(hlsDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      return { bucket: "media" as const, key: `${hlsRoot}/${path.slice(hlsDir.length + 1)}`, path };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Removes what a failed run left in outDir for this attempt. */
export async function removeOutputs(job: Pick<PipelineJob, "outDir" | keyof KeyScope>): Promise<void> {
  const keys = outputKeys(job);
  await Promise.all(
    [keys.hlsRoot, dirname(keys.thumbnail), dirname(keys.waveform), dirname(keys.mezzanine)].map((k) =>
      rm(join(job.outDir, k), { recursive: true, force: true }),
    ),
  );
}
