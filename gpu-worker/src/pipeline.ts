import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { JOB_DEFAULTS, outputKeys, type JobOutput, type KeyScope, type MediaType, type RenditionName } from "../../src/contract/index.ts";
import { createReadStream, createWriteStream } from "node:fs";
import { availableParallelism } from "node:os";
import { pipeline as pipeStreams } from "node:stream/promises";
import { audioChunkArgs, chunksFor, audioHlsArgs, audioPackageArgs, WAVEFORM_IMAGE, WAVEFORM_SAMPLE_RATE, type AudioChunk } from "./audio-args.ts";
import { analyseAudio } from "./audio-analysis.ts";
import { chooseEncoder, type EncoderChoice } from "./encoders/detect.ts";
import { x264 } from "./encoders/x264.ts";
import type { VideoEncoder } from "./encoders/types.ts";
import { PipelineError } from "./errors.ts";
import { baseInputFlags, memoryLimit, OUT_OF_MEMORY, runTool, ToolFailed } from "./ffmpeg/spawn.ts";
import { together } from "./ffmpeg/together.ts";
import { alternateDir, ladderArgs } from "./ladder-args.ts";
import { measureLoudness, normalisationFilter, type Loudness, type LoudnessTarget } from "./loudness.ts";
import { audioMaster, bcp47, playlistStats, renditionNames, videoMaster } from "./outputs/master.ts";
import { subtitleArgs, subtitleDir, subtitlePlaylist, withTimestampMap } from "./outputs/subtitles.ts";
import { samplesPerPixel, WaveformBuilder } from "./outputs/waveform.ts";
import { waveformPng } from "./outputs/waveform-png.ts";
import { planVideo, type VideoPlan } from "./plan.ts";
import { probe, type MediaInfo } from "./probe.ts";
import { progressParser, ProgressTracker, type ProgressEvent } from "./progress.ts";
import { sourceFormatArgs } from "./containers.ts";
import { detectInterlace } from "./interlace.ts";
import { canRemux, mezzanineArgs } from "./stills-args.ts";
import { makeThumbnail } from "./thumbnail.ts";
import { planStoryboard, storyboardSheetArgs, storyboardVtt } from "./storyboard.ts";

export interface PipelineJob extends KeyScope {
  input: string;
  /** Files are written under outDir at their storage keys (design.md §1). */
  outDir: string;
  mediaType: MediaType;
  renditions: RenditionName[];
  segmentSeconds: number;
  previewSeconds: number;
  loudnessTarget: LoudnessTarget;
  encoder: EncoderChoice;
  /** Whether an archive bucket is configured: no archive, no mezzanine. */
  archive: boolean;
  maxDurationSeconds: number;
  /** Frames above this many pixels are refused (default: probe's MAX_PIXELS). */
  maxPixels?: number;
  /** Cores to spread a long audio encode over (default: this machine's). */
  cores?: number;
  /** An audio encode is split only into chunks at least this long (default 300 s). */
  audioChunkMinSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Told the probed duration as soon as it is known (the control plane sizes the job's ceiling by it). */
  onProbed?: (info: MediaInfo) => void;
  log?: (line: string) => void;
}

export interface OutputFile {
  bucket: "media" | "archive";
  key: string;
  path: string;
}

export interface PipelineResult {
  output: JobOutput;
  files: OutputFile[];
  info: MediaInfo;
  timings: Record<string, number>;
}

/** The contract's job defaults, and the worker's own input limit. */
export const DEFAULTS = {
  ...JOB_DEFAULTS,
  maxDurationSeconds: 4 * 3600,
};

/** Wall-clock limit for one FFmpeg step: generous for slow CPUs, finite for a hung process. */
function stepTimeoutMs(durationSeconds: number): number {
  return Math.max(10 * 60_000, durationSeconds * 8 * 1000);
}

/** Maps an FFmpeg failure to the contract's codes. */
function encodeFailure(step: string, error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  if (error instanceof ToolFailed) {
    if (error.reason === "aborted") return new PipelineError("CANCELLED", "The job was stopped", true, { cause: error });
    if (error.reason === "timeout") return new PipelineError("TIMED_OUT", `${step} took longer than its limit`, true, { cause: error });
    const limit = memoryLimit();
    if (limit && error.reason === "exit" && OUT_OF_MEMORY.test(error.stderrTail)) {
      const figure = ` (the limit is ${Math.round(limit / 2 ** 20)} MiB per FFmpeg process)`;
      return new PipelineError("INPUT_TOO_LARGE", `${step} ran out of memory${figure}: the file needs more than a job may take`, false, { cause: error });
    }
    if (/Invalid data found|corrupt|moov atom not found|Error while decoding/i.test(error.stderrTail)) {
      return new PipelineError("INPUT_UNREADABLE", `The file is damaged: ${step} could not decode it (${error.message})`, false, { cause: error });
    }
    return new PipelineError("ENCODE_FAILED", `${step} failed: ${error.message}`, true, { cause: error });
  }
  return new PipelineError("INTERNAL", `${step} failed: ${(error as Error).message}`, true, { cause: error });
}

async function step<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await fn();
  } catch (error) {
    throw encodeFailure(name, error);
  } finally {
    timings[name] = Date.now() - t;
  }
}

async function nonEmpty(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s || s.size === 0) throw new PipelineError("ENCODE_FAILED", `FFmpeg finished but wrote no ${what}`, true);
}

/** The whole job on local disk: probe, loudness, one-pass ladder, stills, mezzanine, playlists. */
export async function runPipeline(job: PipelineJob): Promise<PipelineResult> {
  const timings: Record<string, number> = {};
  const progress = new ProgressTracker((e) => job.onProgress?.(e));
  const keys = outputKeys(job);
  const at = (key: string) => join(job.outDir, key);
  const hlsDir = at(keys.hlsRoot);
  const base = baseInputFlags();

  progress.report("probing", 0);
  const info = await step(timings, "probe", () =>
    probe(job.input, { maxDurationSeconds: job.maxDurationSeconds, maxPixels: job.maxPixels, signal: job.signal }),
  );
  job.onProbed?.(info);
  // Every command that opens the original is held to the demuxer the probe decided.
  const source = [...base, ...sourceFormatArgs(info.demuxer)];
  const limit = stepTimeoutMs(info.durationSeconds);
  const opts = { signal: job.signal, timeoutMs: limit };
  if (job.mediaType === "video" && !info.video) {
    throw new PipelineError("NO_MEDIA_STREAMS", "The item was uploaded as video but the file has no video stream; upload it as audio");
  }
  if (job.mediaType === "audio" && !info.audio) throw new PipelineError("NO_MEDIA_STREAMS", "The item was uploaded as audio but the file has no audio stream");
  // FFmpeg's HLS muxer does not create directories.
  for (const dir of [...job.renditions, "audio", "preview"]) await mkdir(join(hlsDir, dir), { recursive: true });

  const files: OutputFile[] = [];
  let loudness: Loudness | null = null;
  let output: JobOutput;

  if (job.mediaType === "video") {
    const v = info.video!;
    // The item is as long as its picture: the sound is fitted to it (ladder-args fitTo).
    const length = v.durationSeconds ?? info.durationSeconds;
    // A stream that does not say it is interlaced is looked at (idet), beside the loudness pass.
    // Every audio track is measured (each is normalised on its own); the default one is reported.
    const [interlaced, ...measured] = await Promise.all([
      v.fieldOrder === "interlaced" ? true : step(timings, "interlace", () => detectInterlace(job.input, source, v.stream, opts)),
      ...info.audioTracks.map((t, i) => step(timings, i === 0 ? "loudness" : `loudness ${t.stream}`, () => measureLoudness(job.input, source, opts, t.stream))),
    ]);
    loudness = (measured[0] as Loudness | null | undefined) ?? null;
    const alternates = info.audioTracks.slice(1).map((t, i) => ({
      stream: t.stream,
      filter: normalisationFilter(measured[i + 1] as Loudness | null, job.loudnessTarget).filter,
    }));
    for (let i = 0; i < alternates.length; i++) await mkdir(join(hlsDir, alternateDir(i)), { recursive: true });
    const plan = planVideo(info, job.renditions, { interlaced });
    progress.report("probing", 1);
    const audio = info.audio
      ? { filter: normalisationFilter(loudness, job.loudnessTarget).filter, stream: info.audio.stream, fitSeconds: length, alternates }
      : null;
    // Tiles go to a scratch folder beside the outputs (never uploaded), the sheet to its key.
    const storyboard = { plan: planStoryboard(length, plan.rungs[0]!.width, plan.rungs[0]!.height), tilesDir: join(job.outDir, ".storyboard", job.attemptId) };
    await mkdir(storyboard.tilesDir, { recursive: true });
    await mkdir(dirname(at(keys.storyboard)), { recursive: true });
    let encoder: VideoEncoder = await chooseEncoder(job.encoder);
    const encode = (enc: VideoEncoder) =>
      runTool(
        "ffmpeg",
        ladderArgs({ input: job.input, hlsDir, plan, encoder: enc, segmentSeconds: job.segmentSeconds, previewSeconds: job.previewSeconds, audio, base: source, storyboard }),
        { ...opts, onStdout: progressParser(length, (f) => progress.report("encoding", f), { fps: plan.fps }) },
      );
    await step(timings, "ladder", async () => {
      try {
        await encode(encoder);
      } catch (error) {
        // An NVENC session can still fail mid-job (a busy or faulty GPU): finish on the CPU.
        if (encoder.name !== "h264_nvenc" || (error instanceof ToolFailed && error.reason !== "exit")) throw error;
        job.log?.(`NVENC failed (${(error as Error).message}); falling back to libx264`);
        encoder = x264;
        await encode(encoder);
      }
    });
    progress.report("packaging", 0);
    const tiles = (await readdir(storyboard.tilesDir)).filter((f) => f.endsWith(".png")).length;
    if (tiles === 0) throw new PipelineError("ENCODE_FAILED", "FFmpeg finished but wrote no storyboard tiles", true);
    // The cues follow the tiles really written (fps may give one fewer than planned).
    const board = { ...storyboard.plan, tiles: Math.min(tiles, storyboard.plan.tiles) };
    await step(timings, "storyboard", () => runTool("ffmpeg", storyboardSheetArgs(board, storyboard.tilesDir, at(keys.storyboard), base), opts));
    await nonEmpty(at(keys.storyboard), "storyboard");
    await rm(storyboard.tilesDir, { recursive: true, force: true });
    await writeFile(at(keys.storyboardVtt), storyboardVtt(board, length));
    files.push({ bucket: "media", key: keys.storyboard, path: at(keys.storyboard) }, { bucket: "media", key: keys.storyboardVtt, path: at(keys.storyboardVtt) });

    await mkdir(dirname(at(keys.thumbnail)), { recursive: true });
    const thumbnail = await step(timings, "thumbnail", () =>
      makeThumbnail({ input: job.input, output: at(keys.thumbnail), atSeconds: length * 0.1, plan, base: source, demuxer: info.demuxer, opts }),
    );
    progress.report("packaging", 0.3);

    const subtitles = await step(timings, "subtitles", () => convertSubtitles({ input: job.input, hlsDir, info, length, source, opts, firstSegment: join(hlsDir, plan.rungs[0]!.name) }));
    await writeVideoMaster(hlsDir, plan, info.audioTracks, subtitles.renditions);
    output = {
      mediaType: "video",
      hlsMasterKey: keys.hlsMaster,
      hlsPreviewKey: keys.hlsPreview,
      thumbnailKey: keys.thumbnail,
      waveformKey: null,
      waveformImageKey: null,
      mezzanineKey: null,
      storyboardKey: keys.storyboard,
      storyboardVttKey: keys.storyboardVtt,
      durationSeconds: round3(length),
      width: plan.rungs[0]!.width,
      height: plan.rungs[0]!.height,
      readyVariants: plan.rungs.map((r) => r.name),
      loudness: loudness ? { integrated: loudness.integrated, truePeak: loudness.truePeak, range: loudness.range } : null,
      encoder: encoder.name,
      thumbnailSeconds: thumbnail.atSeconds,
      subtitles: subtitles.report,
    };
    files.push({ bucket: "media", key: keys.thumbnail, path: at(keys.thumbnail) });
  } else {
    const png = at(keys.waveformImage);
    await mkdir(dirname(png), { recursive: true });
    const spp = samplesPerPixel(WAVEFORM_SAMPLE_RATE, info.durationSeconds);
    const waveform = new WaveformBuilder(WAVEFORM_SAMPLE_RATE, spp);
    const chunks = chunksFor({
      formatName: info.formatName,
      durationSeconds: info.durationSeconds,
      cores: job.cores ?? availableParallelism(),
      minChunkSeconds: job.audioChunkMinSeconds,
    });
    loudness = await step(timings, "audio analysis", () =>
      analyseAudio({
        input: job.input,
        chunks,
        sampleRate: info.audio!.sampleRate,
        waveform,
        workDir: join(job.outDir, ".analysis", job.attemptId),
        base: source,
        stream: info.audio!.stream,
        opts,
      }),
    );
    progress.report("encoding", 0.3);
    const normalise = normalisationFilter(loudness, job.loudnessTarget);
    const report = (f: number) => progress.report("encoding", 0.3 + 0.7 * f);
    if (chunks.length === 1) {
      await step(timings, "audio-hls", () =>
        runTool(
          "ffmpeg",
          audioHlsArgs({ input: job.input, hlsDir, gainFilter: normalise.filter, segmentSeconds: job.segmentSeconds, previewSeconds: job.previewSeconds, base: source, stream: info.audio!.stream }),
          { ...opts, onStdout: progressParser(info.durationSeconds, report) },
        ),
      );
    } else {
      await step(timings, "audio-hls", () => encodeAudioInChunks({ job, hlsDir, chunks, gain: normalise, durationSeconds: info.durationSeconds, base, source, stream: info.audio!.stream, opts, report }));
    }
    progress.report("packaging", 0);
    const waveformData = waveform.finish();
    await writeFile(png, waveformPng(waveformData, WAVEFORM_IMAGE.width, WAVEFORM_IMAGE.height));
    const waveformPath = at(keys.waveform);
    await mkdir(dirname(waveformPath), { recursive: true });
    await writeFile(waveformPath, JSON.stringify(waveformData));
    const stats = await playlistStats(join(hlsDir, "audio/index.m3u8"));
    await writeFile(join(hlsDir, "master.m3u8"), audioMaster({ uri: "audio/index.m3u8", stats }));
    output = {
      mediaType: "audio",
      hlsMasterKey: keys.hlsMaster,
      hlsPreviewKey: keys.hlsPreview,
      thumbnailKey: null,
      waveformKey: keys.waveform,
      waveformImageKey: keys.waveformImage,
      mezzanineKey: null,
      storyboardKey: null,
      storyboardVttKey: null,
      durationSeconds: round3(info.durationSeconds),
      width: null,
      height: null,
      readyVariants: ["audio"],
      loudness: loudness ? { integrated: loudness.integrated, truePeak: loudness.truePeak, range: loudness.range } : null,
      encoder: null,
      thumbnailSeconds: null,
      subtitles: [],
    };
    files.push({ bucket: "media", key: keys.waveform, path: waveformPath }, { bucket: "media", key: keys.waveformImage, path: png });
  }

  if (job.archive) {
    const mezz = at(keys.mezzanine);
    await mkdir(dirname(mezz), { recursive: true });
    const videoCodec = job.mediaType === "video" ? (info.video?.codec ?? null) : null;
    const remux = canRemux(videoCodec, info.audio?.codec ?? null) && /mp4|mov/.test(info.formatName);
    await step(timings, "mezzanine", () =>
      runTool(
        "ffmpeg",
        mezzanineArgs({ input: job.input, output: mezz, remux, videoCodec, hasAudio: !!info.audio, base: source, streams: { video: info.video?.stream, audio: info.audio?.stream } }),
        opts,
      ),
    );
    await nonEmpty(mezz, "mezzanine");
    output.mezzanineKey = keys.mezzanine;
    files.push({ bucket: "archive", key: keys.mezzanine, path: mezz });
  }
  progress.report("packaging", 1);

  files.push(...(await hlsFiles(hlsDir, keys.hlsRoot)));
  return { output, files, info, timings };
}

/**
 * A long audio encode split over the cores: each chunk to raw AAC in parallel, the chunks joined
 * in order, then packaged into HLS by stream copy (see audioChunkArgs for the joins).
 */
async function encodeAudioInChunks(a: {
  job: PipelineJob;
  hlsDir: string;
  chunks: AudioChunk[];
  gain: ReturnType<typeof normalisationFilter>;
  durationSeconds: number;
  /** Flags for our own files (the joined AAC), and for the original (its demuxer forced). */
  base: string[];
  source: string[];
  stream: string;
  opts: { signal?: AbortSignal; timeoutMs: number };
  report: (fraction: number) => void;
}): Promise<void> {
  const work = join(a.job.outDir, ".audio-chunks", a.job.attemptId);
  await mkdir(work, { recursive: true });
  try {
    const parts = a.chunks.map((_, i) => join(work, `part-${i}.aac`));
    const done = a.chunks.map(() => 0);
    const seconds = a.chunks.map((c) => c.length ?? a.durationSeconds - c.start);
    await together(
      a.opts.signal,
      a.chunks.map((chunk, i) => (signal: AbortSignal) =>
        runTool("ffmpeg", audioChunkArgs({ input: a.job.input, output: parts[i]!, chunk, gainFilter: a.gain.filter, gainMode: a.gain.mode, base: a.source, stream: a.stream }), {
          ...a.opts,
          signal,
          onStdout: progressParser(seconds[i]!, (f) => {
            done[i] = f * seconds[i]!;
            a.report(done.reduce((x, y) => x + y, 0) / a.durationSeconds);
          }),
        }),
      ),
    );
    // ADTS frames are self-contained: the joined file is one continuous AAC stream.
    const joined = join(work, "joined.aac");
    const out = createWriteStream(joined);
    for (const part of parts) await pipeStreams(createReadStream(part), out, { end: false });
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await runTool("ffmpeg", audioPackageArgs({ adts: joined, hlsDir: a.hlsDir, segmentSeconds: a.job.segmentSeconds, previewSeconds: a.job.previewSeconds, base: a.base }), a.opts);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function round3(n: number) {
  return Math.round(n * 1000) / 1000;
}

/**
 * Text subtitle tracks to WebVTT renditions (one file per track, mapped onto the video segments'
 * clock); bitmap ones are reported as skipped. Paid only by uploads that have subtitles.
 */
async function convertSubtitles(a: {
  input: string;
  hlsDir: string;
  info: MediaInfo;
  length: number;
  source: string[];
  opts: { signal?: AbortSignal; timeoutMs: number };
  /** The top rung's folder: its first segment's start gives the MPEG-TS clock. */
  firstSegment: string;
}): Promise<{ renditions: { uri: string; language: string | null; title: string | null }[]; report: JobOutput["subtitles"] }> {
  const tracks = a.info.subtitleTracks;
  if (tracks.length === 0) return { renditions: [], report: [] };
  const text = tracks.filter((t) => t.kind === "text");
  let ticks = 0;
  if (text.length) {
    const first = (await readFile(join(a.firstSegment, "index.m3u8"), "utf8")).split("\n").find((l) => l && !l.startsWith("#"))!;
    const { stdout } = await runTool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=start_time", "-of", "csv=p=0", join(a.firstSegment, first)], a.opts);
    // The segments' clock at the video's first frame, less where that frame sits on the cues' clock.
    // ffprobe prints the stream once per program and once on its own: the first number will do.
    const start = Number(stdout.split("\n").map((l) => l.trim()).find((l) => /^-?[\d.]+$/.test(l)) ?? "1.4");
    ticks = (start - (a.info.video?.startSeconds ?? 0)) * 90_000;
  }
  const names = renditionNames(tracks, "Subtitles");
  const renditions = await Promise.all(
    text.map(async (t, i) => {
      const dir = join(a.hlsDir, subtitleDir(i));
      await mkdir(dir, { recursive: true });
      const vtt = join(dir, "index.vtt");
      await runTool("ffmpeg", subtitleArgs(a.input, a.source, t.stream, vtt), a.opts);
      await writeFile(vtt, withTimestampMap(await readFile(vtt, "utf8"), ticks));
      await writeFile(join(dir, "index.m3u8"), subtitlePlaylist("index.vtt", a.length));
      return { uri: `${subtitleDir(i)}/index.m3u8`, language: t.language, title: t.title };
    }),
  );
  const report = tracks.map((t, i) => ({
    language: t.language ? bcp47(t.language) : null,
    name: names[i]!,
    codec: t.codec,
    status: t.kind === "text" ? ("converted" as const) : ("skipped" as const),
  }));
  return { renditions, report };
}

async function writeVideoMaster(hlsDir: string, plan: VideoPlan, tracks: MediaInfo["audioTracks"], subtitles: { uri: string; language: string | null; title: string | null }[]): Promise<void> {
  const variants = await Promise.all(
    plan.rungs.map(async (rung) => ({ rung, uri: `${rung.name}/index.m3u8`, stats: await playlistStats(join(hlsDir, rung.name, "index.m3u8")) })),
  );
  const audio = await Promise.all(
    tracks.map(async (t, i) => {
      const uri = `${i === 0 ? "audio" : alternateDir(i - 1)}/index.m3u8`;
      return { uri, stats: await playlistStats(join(hlsDir, uri)), language: t.language, title: t.title };
    }),
  );
  await writeFile(join(hlsDir, "master.m3u8"), videoMaster(variants, plan.fps, audio, subtitles));
}

/** Every file of the HLS tree, with its key. */
async function hlsFiles(hlsDir: string, hlsRoot: string): Promise<OutputFile[]> {
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
