import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { chooseEncoder, encodeWithFallback } from "../encoders/detect.ts";
import type { VideoEncoder } from "../encoders/types.ts";
import { PipelineError } from "../errors.ts";
import { runTool } from "../ffmpeg/spawn.ts";
import { detectInterlace } from "../interlace.ts";
import { alternateDir, ladderArgs, soundArgs } from "../ladder-args.ts";
import { measureLoudness, normalisationFilter, normalisationTarget, type Loudness } from "../loudness.ts";
import { bcp47, playlistStats, renditionNames, videoMaster, type PlaylistStats } from "../outputs/master.ts";
import { subtitleArgs, subtitleDir, subtitlePlaylist, withTimestampMap } from "../outputs/subtitles.ts";
import { planVideo, type VideoPlan } from "../plan.ts";
import type { MediaInfo } from "../probe.ts";
import { videoStartArgs } from "../probe/args.ts";
import { progressParser } from "../progress.ts";
import { playableVideoMaster } from "../outputs/playable-master.ts";
import { planStoryboard, storyboardSheetArgs, storyboardVtt, type StoryboardPlan } from "../storyboard.ts";
import { makeThumbnail, thumbnailMark } from "../thumbnail.ts";
import type { JobOutput } from "../../../src/contract/index.ts";
import { nonEmpty, step } from "./step.ts";
import type { MediaParts, OutputFile, StepContext } from "./types.ts";

/**
 * The video half: measure (loudness of every track, interlacing), plan, one-process ladder with
 * preview and storyboard tiles, then the sheet, thumbnail, subtitles and master.
 */
export async function runVideo(ctx: StepContext, rest?: FanoutRest): Promise<MediaParts> {
  const { job, info, keys, at, hlsDir, base, source, opts, timings, progress, files } = ctx;
  const v = info.video!;
  // The item is as long as its picture: the sound is fitted to it (ladder-args fitTo).
  const length = videoLength(info);
  // A stream that does not say it is interlaced is looked at (idet), beside the loudness pass.
  // Every audio track is measured (each is normalised on its own); the default one is reported.
  const [interlaced, ...measured] = await Promise.all([
    rest ? rest.plan.deinterlace === true : v.fieldOrder === "interlaced" ? true : step(timings, "interlace", () => detectInterlace(job.input, source, v.stream, opts)),
    ...info.audioTracks.map((t, i) => step(timings, i === 0 ? "loudness" : `loudness ${t.stream}`, () => measureLoudness(job.input, source, opts, t.stream))),
  ]);
  const loudness = (measured[0] as Loudness | null | undefined) ?? null;
  const alternates = info.audioTracks.slice(1).map((t, i) => ({
    stream: t.stream,
    filter: normalisationFilter(measured[i + 1] as Loudness | null, normalisationTarget(job)).filter,
  }));
  for (let i = 0; i < alternates.length; i++) await mkdir(join(hlsDir, alternateDir(i)), { recursive: true });
  const plan = rest ? rest.plan : planVideo(info, job.renditions, { interlaced });
  progress.report("probing", 1);
  const audio = info.audio
    ? { filter: normalisationFilter(loudness, normalisationTarget(job)).filter, stream: info.audio.stream, fitSeconds: length, alternates }
    : null;
  // Tiles go to a scratch folder beside the outputs (never uploaded), the sheet to its key.
  const storyboard = { plan: planStoryboard(length, plan.rungs[0]!.width, plan.rungs[0]!.height), tilesDir: join(job.outDir, ".storyboard", job.attemptId) };
  const chosen = await chooseEncoder(job.encoder);
  const encode = (enc: VideoEncoder) =>
    runTool(
      "ffmpeg",
      ladderArgs({
        input: job.input, hlsDir, plan, encoder: enc, segmentSeconds: job.segmentSeconds, previewSeconds: job.previewSeconds, audio, base: source,
        ...(rest ? { rungs: false } : { storyboard }),
      }),
      // A fan-out's preview process is short; the sound's process gives its progress.
      { ...opts, onStdout: rest ? undefined : progressParser(length, (f) => progress.report("encoding", f), { fps: plan.fps }) },
    );
  if (!rest) await mkdir(storyboard.tilesDir, { recursive: true });
  // What makes this encode playable: every playlist it writes (a fan-out's whole-file job: the sound only) under a master of every rung.
  job.onEncodeStart?.({
    playlists: [...(rest ? [] : plan.rungs.map((r) => `${r.name}/index.m3u8`)), ...(audio ? info.audioTracks.map((_, i) => audioPlaylistUri(i)) : [])],
    master: playableVideoMaster(plan, audio ? info.audioTracks : [], audioPlaylistUri),
    lengthSeconds: length,
  });
  // A fan-out's whole-file job: the sound in a process of its own beside the preview's.
  const sound = rest ? soundArgs({ input: job.input, hlsDir, plan, encoder: chosen, segmentSeconds: job.segmentSeconds, previewSeconds: job.previewSeconds, audio, base: source }) : null;
  const soundDone = sound
    ? step(timings, "sound", () => runTool("ffmpeg", sound, { ...opts, onStdout: progressParser(length, (f) => progress.report("encoding", f)) }))
    : Promise.resolve();
  const ladderDone = step(timings, "ladder", () => encodeWithFallback(chosen, encode, job.log));
  const [encoder] = await Promise.all([ladderDone, soundDone]);
  progress.report("packaging", 0);
  if (!rest) await step(timings, "storyboard", async () => files.push(...(await assembleStoryboard({ tilesDir: storyboard.tilesDir, plan: storyboard.plan, length, keys, at, base, opts }))));

  await mkdir(dirname(at(keys.thumbnail)), { recursive: true });
  const thumbnail = await step(timings, "thumbnail", () =>
    makeThumbnail({ input: job.input, output: at(keys.thumbnail), atSeconds: thumbnailMark(job, length, plan.fps), plan, base: source, demuxer: info.demuxer, opts }),
  );
  progress.report("packaging", 0.3);

  const subtitles = await step(timings, "subtitles", () =>
    convertSubtitles({ input: job.input, hlsDir, info, length, source, opts, clock: rest ? { start: FIRST_PICTURE_SECONDS } : { firstSegment: join(hlsDir, plan.rungs[0]!.name) } }),
  );
  // With fan-out the master waits for the rungs (fanout/stitch.ts); the renditions go with the parts.
  if (!rest) await writeVideoMaster(hlsDir, plan, info.audioTracks, subtitles.renditions);
  files.push({ bucket: "media", key: keys.thumbnail, path: at(keys.thumbnail) });
  return {
    durationSeconds: length,
    width: plan.rungs[0]!.width,
    height: plan.rungs[0]!.height,
    readyVariants: plan.rungs.map((r) => r.name),
    rungs: plan.rungs.map((r) => ({ name: r.name, width: r.width, height: r.height })),
    loudness,
    encoder: encoder.name,
    thumbnailSeconds: thumbnail.atSeconds,
    subtitles: subtitles.report,
    subtitleRenditions: subtitles.renditions,
  };
}

/** The item is as long as its picture (the sound is fitted to it). */
export const videoLength = (info: MediaInfo) => info.video!.durationSeconds ?? info.durationSeconds;

/**
 * A fan-out's whole-file job (fanout/): the plan is the one the chunks encode; this job makes the
 * sound, the preview, the thumbnail and the subtitles, and neither rungs, storyboard nor master.
 */
export interface FanoutRest {
  plan: VideoPlan;
}

/**
 * Where every rung's first picture sits on the MPEG-TS clock: FFmpeg's muxer starts at 1.4 s
 * (its default delay) and the first picture decodes when shown (hls-args FIRST_PICTURE_AT_ZERO).
 * A one-job encode measures it; a fan-out's subtitles are made before any rung exists.
 */
export const FIRST_PICTURE_SECONDS = 1.4;

/** The tiles (numbered from 1) into the sheet and its cues; the tiles folder is removed. */
export async function assembleStoryboard(a: {
  tilesDir: string;
  plan: StoryboardPlan;
  length: number;
  keys: StepContext["keys"];
  at: StepContext["at"];
  base: string[];
  opts: StepContext["opts"];
}): Promise<OutputFile[]> {
  await mkdir(dirname(a.at(a.keys.storyboard)), { recursive: true });
  const tiles = (await readdir(a.tilesDir)).filter((f) => f.endsWith(".png")).length;
  if (tiles === 0) throw new PipelineError("ENCODE_FAILED", "FFmpeg finished but wrote no storyboard tiles", true);
  // The cues follow the tiles really written (fps may give one fewer than planned).
  const board = { ...a.plan, tiles: Math.min(tiles, a.plan.tiles) };
  await runTool("ffmpeg", storyboardSheetArgs(board, a.tilesDir, a.at(a.keys.storyboard), a.base), a.opts);
  await nonEmpty(a.at(a.keys.storyboard), "storyboard");
  await rm(a.tilesDir, { recursive: true, force: true });
  await writeFile(a.at(a.keys.storyboardVtt), storyboardVtt(board, a.length));
  return [
    { bucket: "media", key: a.keys.storyboard, path: a.at(a.keys.storyboard) },
    { bucket: "media", key: a.keys.storyboardVtt, path: a.at(a.keys.storyboardVtt) },
  ];
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
  /** The top rung's folder, whose first segment's start gives the MPEG-TS clock; or that start, known. */
  clock: { firstSegment: string } | { start: number };
}): Promise<{ renditions: { uri: string; language: string | null; title: string | null }[]; report: JobOutput["subtitles"] }> {
  const tracks = a.info.subtitleTracks;
  if (tracks.length === 0) return { renditions: [], report: [] };
  const text = tracks.filter((t) => t.kind === "text");
  let ticks = 0;
  if (text.length) {
    let start: number;
    if ("start" in a.clock) start = a.clock.start;
    else {
      const dir = a.clock.firstSegment;
      const first = (await readFile(join(dir, "index.m3u8"), "utf8")).split("\n").find((l) => l && !l.startsWith("#"))!;
      const { stdout } = await runTool("ffprobe", videoStartArgs(join(dir, first)), a.opts);
      // ffprobe prints the stream once per program and once on its own: the first number will do.
      start = Number(stdout.split("\n").map((l) => l.trim()).find((l) => /^-?[\d.]+$/.test(l)) ?? String(FIRST_PICTURE_SECONDS));
    }
    // The segments' clock at the video's first frame, less where that frame sits on the cues' clock.
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

/** The media playlist of the item's audio track i (the default first, then each alternate). */
export const audioPlaylistUri = (i: number) => `${i === 0 ? "audio" : alternateDir(i - 1)}/index.m3u8`;

export async function writeVideoMaster(
  hlsDir: string,
  plan: VideoPlan,
  tracks: MediaInfo["audioTracks"],
  subtitles: { uri: string; language: string | null; title: string | null }[],
  /** Playlists' stats already known, by URI (a split video's stitch, whose segments are not on this disk). */
  known: Record<string, PlaylistStats> = {},
): Promise<void> {
  const stats = (uri: string) => known[uri] ?? playlistStats(join(hlsDir, uri));
  const variants = await Promise.all(plan.rungs.map(async (rung) => ({ rung, uri: `${rung.name}/index.m3u8`, stats: await stats(`${rung.name}/index.m3u8`) })));
  const audio = await Promise.all(
    tracks.map(async (t, i) => {
      const uri = audioPlaylistUri(i);
      return { uri, stats: await stats(uri), language: t.language, title: t.title };
    }),
  );
  await writeFile(join(hlsDir, "master.m3u8"), videoMaster(variants, plan.fps, audio, subtitles));
}

