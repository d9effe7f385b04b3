import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { chooseEncoder } from "../encoders/detect.ts";
import type { VideoEncoder } from "../encoders/types.ts";
import { x264 } from "../encoders/x264.ts";
import { PipelineError } from "../errors.ts";
import { runTool, ToolFailed } from "../ffmpeg/spawn.ts";
import { detectInterlace } from "../interlace.ts";
import { alternateDir, ladderArgs } from "../ladder-args.ts";
import { measureLoudness, normalisationFilter, type Loudness } from "../loudness.ts";
import { bcp47, playlistStats, renditionNames, videoMaster } from "../outputs/master.ts";
import { subtitleArgs, subtitleDir, subtitlePlaylist, withTimestampMap } from "../outputs/subtitles.ts";
import { planVideo, type VideoPlan } from "../plan.ts";
import type { MediaInfo } from "../probe.ts";
import { videoStartArgs } from "../probe/args.ts";
import { progressParser } from "../progress.ts";
import { planStoryboard, storyboardSheetArgs, storyboardVtt } from "../storyboard.ts";
import { makeThumbnail } from "../thumbnail.ts";
import type { JobOutput } from "../../../src/contract/index.ts";
import { nonEmpty, step } from "./step.ts";
import type { MediaParts, StepContext } from "./types.ts";

/**
 * The video half: measure (loudness of every track, interlacing), plan, one-process ladder with
 * preview and storyboard tiles, then the sheet, thumbnail, subtitles and master.
 */
export async function runVideo(ctx: StepContext): Promise<MediaParts> {
  const { job, info, keys, at, hlsDir, base, source, opts, timings, progress, files } = ctx;
  const v = info.video!;
  // The item is as long as its picture: the sound is fitted to it (ladder-args fitTo).
  const length = v.durationSeconds ?? info.durationSeconds;
  // A stream that does not say it is interlaced is looked at (idet), beside the loudness pass.
  // Every audio track is measured (each is normalised on its own); the default one is reported.
  const [interlaced, ...measured] = await Promise.all([
    v.fieldOrder === "interlaced" ? true : step(timings, "interlace", () => detectInterlace(job.input, source, v.stream, opts)),
    ...info.audioTracks.map((t, i) => step(timings, i === 0 ? "loudness" : `loudness ${t.stream}`, () => measureLoudness(job.input, source, opts, t.stream))),
  ]);
  const loudness = (measured[0] as Loudness | null | undefined) ?? null;
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
  files.push({ bucket: "media", key: keys.thumbnail, path: at(keys.thumbnail) });
  return {
    durationSeconds: length,
    width: plan.rungs[0]!.width,
    height: plan.rungs[0]!.height,
    readyVariants: plan.rungs.map((r) => r.name),
    loudness,
    encoder: encoder.name,
    thumbnailSeconds: thumbnail.atSeconds,
    subtitles: subtitles.report,
  };
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
    const { stdout } = await runTool("ffprobe", videoStartArgs(join(a.firstSegment, first)), a.opts);
    // The segments' clock at the video's first frame, less where that frame sits on the cues' clock.
    // ffprobe prints the stream once per program and once on its own: the first number will do.
    const start = Number(stdout.split("\n").map((l) => l.trim()).find((l) => /^-?[\d.]+$/.test(l)) ?? "1.4");
    ticks = (start - (a.info.video?.startSeconds ?? 0)) * 90_000;
  }
  const names = renditionNames(tracks, "Subtitles");
  // Named once over every track, so the master and the result call a track the same.
  const nameOf = new Map(tracks.map((t, i) => [t, names[i]!]));
  const renditions = await Promise.all(
    text.map(async (t, i) => {
      const dir = join(a.hlsDir, subtitleDir(i));
      await mkdir(dir, { recursive: true });
      const vtt = join(dir, "index.vtt");
      await runTool("ffmpeg", subtitleArgs(a.input, a.source, t.stream, vtt), a.opts);
      await writeFile(vtt, withTimestampMap(await readFile(vtt, "utf8"), ticks));
      await writeFile(join(dir, "index.m3u8"), subtitlePlaylist("index.vtt", a.length));
      return { uri: `${subtitleDir(i)}/index.m3u8`, language: t.language, title: nameOf.get(t)! };
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

