import { finishPlaylists } from "../outputs/finish-playlists.ts";
import { makeDownloads } from "../outputs/downloads.ts";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { chunkTask, fanoutTask, isChunkSegmentKey, mediaPlaylist, outputKeys, type ChunkTask, type FanoutTask } from "../../../src/contract/index.ts";
import { chooseEncoder, encodeWithFallback } from "../encoders/detect.ts";
import type { VideoEncoder } from "../encoders/types.ts";
import { PipelineError } from "../errors.ts";
import { baseInputFlags, runTool } from "../ffmpeg/spawn.ts";
import { sourceInputFlags } from "../containers.ts";
import { detectInterlace } from "../interlace.ts";
import { archive, hlsFiles, jobResult, openJob } from "../pipeline.ts";
import { classify, nonEmpty, step, stepTimeoutMs } from "../pipeline/step.ts";
import type { MediaParts, OutputFile, PipelineJob, PipelineResult } from "../pipeline/types.ts";
import { assembleStoryboard, audioPlaylistUri, runVideo, videoLength, writeVideoMaster } from "../pipeline/video.ts";
import { playlistStats, statsOf, type PlaylistStats } from "../outputs/master.ts";
import { planVideo, type VideoPlan } from "../plan.ts";
import { probe, type MediaInfo } from "../probe.ts";
import { progressParser, ProgressTracker } from "../progress.ts";
import { planStoryboard, type StoryboardPlan } from "../storyboard.ts";
import { mezzanineAudioArgs, mezzanineJoinArgs, mezzanineRemuxes } from "../stills-args.ts";
import { chunkArgs } from "./chunk-args.ts";
import { planChunks, type ChunkPlan } from "./chunk-plan.ts";
import { chunkByteRanges, INDEXED_DEMUXER, packetProbeArgs, parsePackets, topLevelBoxes } from "./byte-ranges.ts";
import { keyframeProbeArgs, parseKeyframes, withSeekPoints } from "./keyframes.ts";
import { chunkSegments, stitchRungs, tileCount, type ChunkSegment } from "./stitch.ts";

/**
 * The four steps of one video split across workers, each a plain async function of JSON-able
 * inputs so that each can run in its own process (cli.ts here, a RunPod job in production):
 * plan → (chunk × N ‖ rest) → stitch.
 */
export interface FanoutPlan {
  info: MediaInfo;
  plan: VideoPlan;
  chunks: ChunkPlan;
  storyboard: StoryboardPlan;
  /** The item's length: its picture's. */
  length: number;
  /**
   * The archive's mezzanine: none (no archive), the original remuxed whole by the whole-file job
   * (seconds), or encoded in parts by the chunks and joined by the stitch without re-encoding.
   */
  mezzanine: "parts" | "whole" | null;
  /** The original's size, when each chunk reads only its byte ranges of it (an MP4/MOV). */
  sourceSize?: number;
}

export interface RestResult {
  parts: MediaParts;
  /** Each audio playlist's bitrates (by its URI under the HLS folder), for a master written where its segments are not. */
  audioStats?: Record<string, PlaylistStats>;
  archived: boolean;
  files: OutputFile[];
  timings: Record<string, number>;
}

export interface ChunkResult {
  index: number;
  encoder: VideoEncoder["name"];
  seconds: number;
  /** Each rung's segments as the chunk wrote them (what a chunk job reports), every key checked by the contract. */
  segments: Record<string, ChunkSegment[]>;
}

/** What a chunk job is told (the contract's chunkTask): this plan's chunk `index`, checked. */
export function chunkTaskOf(fp: FanoutPlan, index: number, tryNo = 1): ChunkTask {
  return chunkTask.parse({ kind: "chunk", index, try: tryNo, ...fanoutTaskOf(fp) });
}

/** The plan as the contract carries it to the control plane (and on to every chunk job). */
export function fanoutTaskOf(fp: FanoutPlan): FanoutTask {
  return fanoutTask.parse({ plan: fp.plan, chunks: fp.chunks, storyboard: fp.storyboard, demuxer: fp.info.demuxer, length: fp.length, mezzanine: fp.mezzanine === "parts", ...(fp.sourceSize ? { sourceSize: fp.sourceSize } : {}) });
}

/** Where chunk i writes its rungs: scratch beside the outputs, per attempt, never uploaded as is. */
export const chunkDir = (job: PipelineJob, index: number) => join(job.outDir, ".chunks", job.attemptId, String(index));
/** Every chunk's storyboard tiles, numbered on the whole video, in one folder. */
export const tilesDir = (job: PipelineJob) => join(job.outDir, ".storyboard", job.attemptId);
/** The mezzanine's parts (one per chunk) and its sound, until the stitch joins them. */
export const mezzanineDir = (job: PipelineJob) => join(job.outDir, ".mezzanine", job.attemptId);
export const partName = (index: number) => `part_${String(index).padStart(5, "0")}.ts`;

const optsOf = (job: PipelineJob, info: MediaInfo) => ({ signal: job.signal, timeoutMs: stepTimeoutMs(info.durationSeconds) });

/** Probe (unless told what a probe found), look for interlacing, and cut the ladder into chunks of whole segments. */
export async function planFanout(job: PipelineJob, split: { chunks?: number; chunkSeconds?: number }, known?: MediaInfo): Promise<FanoutPlan> {
  try {
    const info = known ?? (await probe(job.input, { maxDurationSeconds: job.maxDurationSeconds, maxPixels: job.maxPixels, signal: job.signal }));
    const v = info.video;
    if (!v) throw new PipelineError("NO_MEDIA_STREAMS", "The item was uploaded as video but the file has no video stream; upload it as audio");
    const interlaced = v.fieldOrder === "interlaced" || (await detectInterlace(job.input, sourceInputFlags(info.demuxer), v.stream, optsOf(job, info)));
    const plan = planVideo(info, job.renditions, { interlaced });
    const length = videoLength(info);
    const cut = planChunks({ durationSeconds: length, fps: plan.fps, gop: plan.gop, segmentSeconds: job.segmentSeconds, videoStartSeconds: v.startSeconds, ...split });
    let chunks = cut;
    let sourceSize: number | undefined;
    if (cut.chunks.length > 1 && info.demuxer === INDEXED_DEMUXER) {
      // An MP4/MOV: one demux lists every packet, for the keyframes and for each chunk's bytes.
      const packets = parsePackets((await runTool("ffprobe", packetProbeArgs(job.input), optsOf(job, info))).stdout);
      const videoStream = Number((plan.stream ?? v.stream).replace(/^0:/, ""));
      chunks = withSeekPoints(cut, packets.filter((p) => p.stream === videoStream && p.key).map((p) => p.pts).sort((a, b) => a - b), 0);
      const boxes = await topLevelBoxes(job.input);
      sourceSize = (await stat(job.input)).size;
      chunks = {
        ...chunks,
        chunks: chunks.chunks.map((c, i) => {
          const next = chunks.chunks[i + 1];
          return { ...c, bytes: chunkByteRanges({ boxes, packets, videoStream, span: c, end: next ? next.startSeconds : null, fileSize: sourceSize! }) };
        }),
      };
    } else if (cut.chunks.length > 1) {
      chunks = withSeekPoints(cut, parseKeyframes((await runTool("ffprobe", keyframeProbeArgs(job.input, info.demuxer, plan.stream), optsOf(job, info))).stdout));
    }
    const mezzanine = !job.archive ? null : mezzanineRemuxes(v.codec, info.audio?.codec ?? null, info.formatName) ? "whole" : "parts";
    return { info, plan, chunks, storyboard: planStoryboard(length, plan.rungs[0]!.width, plan.rungs[0]!.height), length, mezzanine, ...(sourceSize ? { sourceSize } : {}) };
  } catch (error) {
    throw classify("The plan", error, job.signal);
  }
}

/** One chunk: every rung of its frames, and its storyboard tiles. */
export async function runChunk(job: PipelineJob, task: ChunkTask): Promise<ChunkResult> {
  const { index } = task;
  const span = task.chunks.chunks[index]!;
  const started = Date.now();
  const source = sourceInputFlags(task.demuxer);
  const opts = { signal: job.signal, timeoutMs: stepTimeoutMs(task.length) };
  try {
    const dir = chunkDir(job, index);
    // A chunk tried again starts clean: nothing a killed try half wrote is stitched.
    await rm(dir, { recursive: true, force: true });
    for (const rung of task.plan.rungs) await mkdir(join(dir, rung.name), { recursive: true });
    await mkdir(tilesDir(job), { recursive: true });
    if (task.mezzanine) await mkdir(mezzanineDir(job), { recursive: true });
    const seconds = span.frames !== null ? span.frames / task.plan.fps : task.length - span.startSeconds;
    const progress = job.progress ?? new ProgressTracker((e) => job.onProgress?.(e));
    const encode = (encoder: VideoEncoder) =>
      runTool(
        "ffmpeg",
        chunkArgs({
          input: job.input, hlsDir: dir, plan: task.plan, encoder, segmentSeconds: job.segmentSeconds, span, firstTick: task.chunks.firstTick, source,
          storyboard: { plan: task.storyboard, tilesDir: tilesDir(job) },
          ...(task.mezzanine ? { mezzaninePart: join(mezzanineDir(job), partName(index)) } : {}),
        }),
        { ...opts, onStdout: progressParser(seconds, (f) => progress.report("encoding", f), { fps: task.plan.fps }) },
      );
    const encoder = await encodeWithFallback(await chooseEncoder(job.encoder), encode, job.log);
    // What the chunk wrote, as its job reports it: every segment one of its own under the attempt.
    const { hlsRoot } = outputKeys(job);
    const segments: Record<string, ChunkSegment[]> = {};
    for (const rung of task.plan.rungs) {
      const listed = chunkSegments(await readFile(join(dir, rung.name, "index.m3u8"), "utf8"));
      segments[rung.name] = await Promise.all(listed.map(async (s) => ({ ...s, bytes: (await stat(join(dir, rung.name, s.uri))).size })));
      const stray = segments[rung.name]!.find((s) => !isChunkSegmentKey(`${hlsRoot}/${rung.name}/${s.uri}`, job, task));
      if (stray) throw new PipelineError("ENCODE_FAILED", `Chunk ${index} wrote ${rung.name}/${stray.uri}, outside its span`);
    }
    return { index, encoder: encoder.name, seconds: (Date.now() - started) / 1000, segments };
  } catch (error) {
    throw classify(`Chunk ${index}`, error, job.signal);
  }
}

/** Everything that is made once from the whole file: sound, preview, thumbnail, subtitles, loudness, mezzanine. */
export async function runRest(job: PipelineJob, fp: FanoutPlan): Promise<RestResult> {
  try {
    const ctx = await openJob(job, fp.info);
    const parts = await runVideo(ctx, { plan: fp.plan });
    if (fp.mezzanine === "parts" && fp.info.audio) {
      // The chunks encode the mezzanine's picture; its sound, whole, is this job's.
      await mkdir(mezzanineDir(job), { recursive: true });
      await step(ctx.timings, "mezzanine sound", () =>
        runTool("ffmpeg", mezzanineAudioArgs({ input: job.input, output: join(mezzanineDir(job), "audio.m4a"), base: ctx.source, stream: fp.info.audio!.stream }), ctx.opts),
      );
    }
    const archived = fp.mezzanine === "whole" ? await archive(ctx) : false;
    // Its preview, done: VOD. Its sound stays EVENT until the stitch ends every playlist of the
    // master at once. FFmpeg ends an EVENT playlist with EXT-X-ENDLIST when its encode is done;
    // uploaded so, it ended the item for shaka-player: while it switches variants its only active
    // playlist is the sound's, and once every active playlist has ENDLIST it turns the
    // presentation into VOD of what it has (seen: ended at 12 s of 30). So it is written again, open.
    await finishPlaylists(join(ctx.hlsDir, "preview"));
    const audioStats = Object.fromEntries(await Promise.all(fp.info.audioTracks.map(async (_, i) => [audioPlaylistUri(i), await playlistStats(join(ctx.hlsDir, audioPlaylistUri(i)))] as const)));
    for (const [uri, stats] of Object.entries(audioStats)) await writeFile(join(ctx.hlsDir, uri), mediaPlaylist(stats.segments, "EVENT"));
    return { parts, audioStats, archived, files: ctx.files, timings: ctx.timings };
  } catch (error) {
    throw classify("The whole-file job", error, job.signal);
  }
}

/** The rungs from the chunks, the storyboard from their tiles, the master, and the job's result. */
export async function stitchFanout(
  job: PipelineJob,
  fp: FanoutPlan,
  rest: RestResult,
  chunks: ChunkResult[],
  o: { segmentsInPlace?: boolean; fetchSegment?: (key: string, path: string) => Promise<void> } = {},
): Promise<PipelineResult> {
  try {
    const keys = outputKeys(job);
    const at = (key: string) => join(job.outDir, key);
    const hlsDir = at(keys.hlsRoot);
    const opts = optsOf(job, fp.info);
    // The segment lists the chunks reported (a chunk job's callback, in production), not read again.
    const byIndex = new Map(chunks.map((c) => [c.index, c]));
    await stitchRungs(
      hlsDir,
      fp.plan.rungs.map((r) => r.name),
      fp.chunks.chunks.map((c) => ({ dir: o.segmentsInPlace ? null : chunkDir(job, c.index), segments: byIndex.get(c.index)?.segments ?? {} })),
    );
    const tiles = await tileCount(tilesDir(job));
    const board = { ...fp.storyboard, tiles: Math.min(tiles, fp.storyboard.tiles) };
    const storyboardFiles = await assembleStoryboard({ tilesDir: tilesDir(job), plan: board, length: fp.length, keys, at, base: baseInputFlags(), opts });
    // Segments elsewhere (uploaded by the chunk jobs): the bitrates come from what the chunks and the whole-file job measured.
    const known: Record<string, PlaylistStats> = o.segmentsInPlace
      ? { ...rest.audioStats, ...Object.fromEntries(fp.plan.rungs.map((r) => [`${r.name}/index.m3u8`, statsOf(chunks.flatMap((c) => (c.segments[r.name] ?? []).map((s) => ({ ...s, bytes: s.bytes ?? 0 }))))])) }
      : {};
    await writeVideoMaster(hlsDir, fp.plan, fp.info.audioTracks, rest.parts.subtitleRenditions ?? [], known);
    // The sound's playlists end with the rungs' (the whole-file job left them EVENT): from the segments it measured.
    for (const [uri, stats] of Object.entries(rest.audioStats ?? {})) {
      await mkdir(dirname(join(hlsDir, uri)), { recursive: true });
      await writeFile(join(hlsDir, uri), mediaPlaylist(stats.segments, "VOD"));
    }
    const mezzanineFiles = fp.mezzanine === "parts" ? await joinMezzanine(job, fp, at(keys.mezzanine), opts) : [];
    // Downloads from the stitched playlists; segments the chunk jobs uploaded are fetched for it, then dropped.
    const fetch = o.fetchSegment;
    const made = await makeDownloads({
      request: job.downloads, hlsDir, rungs: rest.parts.rungs ?? [], hasAudio: !!fp.info.audio, scope: job, at, base: baseInputFlags(), opts,
      ...(o.segmentsInPlace && fetch ? { fetch: (path: string) => fetch(`${keys.hlsRoot}/${path.slice(hlsDir.length + 1)}`, path) } : {}),
    });
    await rm(join(job.outDir, ".chunks", job.attemptId), { recursive: true, force: true });
    // The encoder the item reports: the chunks', or libx264 if any chunk fell back to it.
    const encoder = chunks.some((c) => c.encoder === "libx264") ? "libx264" : (chunks[0]?.encoder ?? rest.parts.encoder);
    const parts = { ...rest.parts, encoder };
    const files = [...rest.files, ...storyboardFiles, ...mezzanineFiles, ...made.files, ...(await hlsFiles(hlsDir, keys.hlsRoot))];
    return { output: jobResult("video", keys, parts, rest.archived || mezzanineFiles.length > 0, made.downloads), files, info: fp.info, timings: rest.timings };
  } catch (error) {
    throw classify("The stitch", error, job.signal);
  }
}

/** The chunks' parts end to end and the whole-file job's sound, copied into the archive's MP4. */
async function joinMezzanine(job: PipelineJob, fp: FanoutPlan, output: string, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<OutputFile[]> {
  const dir = mezzanineDir(job);
  const list = join(dir, "parts.txt");
  // Our own files, by plain names beside the list (the concat demuxer's -safe 1 takes nothing else).
  await writeFile(list, fp.chunks.chunks.map((c) => `file '${partName(c.index)}'`).join("\n") + "\n");
  await mkdir(dirname(output), { recursive: true });
  await runTool("ffmpeg", mezzanineJoinArgs({ list, audio: fp.info.audio ? join(dir, "audio.m4a") : null, output, base: baseInputFlags() }), opts);
  await nonEmpty(output, "mezzanine");
  await rm(dir, { recursive: true, force: true });
  return [{ bucket: "archive", key: outputKeys(job).mezzanine, path: output }];
}
