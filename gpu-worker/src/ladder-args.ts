import type { VideoEncoder } from "./encoders/types.ts";
import { aacArgs, chain, FIRST_PICTURE_AT_ZERO, hlsOutputArgs, STEREO_48K } from "./hls-args.ts";
import { previewRung, type VideoPlan } from "./plan.ts";
import { storyboardFilter, TILE_PATTERN, type StoryboardPlan } from "./storyboard.ts";

export interface LadderCommand {
  input: string;
  /** Where the attempt's HLS tree goes: <hlsDir>/<rung>/…, <hlsDir>/audio/…, <hlsDir>/preview/… */
  hlsDir: string;
  plan: VideoPlan;
  encoder: VideoEncoder;
  segmentSeconds: number;
  previewSeconds: number;
  /**
   * Null when the source has no audio track. `stream` is the track to encode (default 0:a:0);
   * `fitSeconds`, the video's length, which the sound is made to match exactly.
   */
  audio: { filter: string | null; stream?: string; fitSeconds?: number; alternates?: { stream: string; filter: string | null }[] } | null;
  base: string[];
  /** The seek-preview tiles, made from the same decode (one more branch of the split), into `tilesDir`. */
  storyboard?: { plan: StoryboardPlan; tilesDir: string };
  /** False when chunk jobs encode the rungs (fanout/): then this process makes the sound and the preview only. */
  rungs?: boolean;
}

/** Where the i-th other audio track's rendition goes (the default track's is `audio`). */
export const alternateDir = (i: number) => `audio_${i + 1}`;

/**
 * Sound made exactly as long as the picture, so every playlist of the item has one length: a
 * late start or a gap is filled with silence at its place (sync kept), a short track is padded
 * at the end, a long one is cut where the video ends.
 */
function fitTo(seconds: number | undefined): string[] {
  if (seconds === undefined) return [];
  return [
    // Silence where the track's timestamps leave a gap, from time 0 (a track starting 2 s late).
    "aresample=async=1:first_pts=0",
    // Silence after the end, then cut at the video's last instant.
    "apad",
    `atrim=end=${seconds.toFixed(3)}`,
  ];
}

/**
 * The whole video job's encode in ONE FFmpeg process with one decode: the source is prepared
 * once, split into every rung plus the preview, and the audio is encoded once as a shared group.
 */
export function ladderArgs(cmd: LadderCommand): string[] {
  const { plan, encoder } = cmd;
  const rungs = cmd.rungs === false ? [] : plan.rungs;
  const n = rungs.length;
  const pre = previewRung(plan);
  const graph: string[] = [];
  const sb = cmd.storyboard;
  const splitOuts = [...rungs.map((_, i) => `[s${i}]`), "[sp]", ...(sb ? ["[ssb]"] : [])].join("");
  // Without rungs (a fan-out's whole-file job) this process is the preview alone: it reads only
  // the preview's seconds of the original (input -t), and the audio group is soundArgs' process.
  const previewOnly = cmd.rungs === false;
  graph.push(`[${plan.stream ?? "0:v:0"}]${chain(encoder.sourceFilters(plan), "null")},split=${n + 1 + (sb ? 1 : 0)}${splitOuts}`);
  if (sb) graph.push(`[ssb]${storyboardFilter(sb.plan, plan.fps, encoder.toCpu)}[vsb]`);
  rungs.forEach((rung, i) => graph.push(`[s${i}]${encoder.scaleFilter(rung)}[v${i}]`));
  // The preview is the first seconds at the middle rung, as its own stream with its own segments.
  graph.push(`[sp]trim=duration=${cmd.previewSeconds},setpts=PTS-STARTPTS,${encoder.scaleFilter(pre)}[vp]`);
  if (cmd.audio && previewOnly) {
    graph.push(`[${cmd.audio.stream ?? "0:a:0"}]${chain([cmd.audio.filter, ...STEREO_48K, ...fitTo(cmd.audio.fitSeconds)], "anull")},atrim=duration=${cmd.previewSeconds},asetpts=PTS-STARTPTS[ap]`);
  } else if (cmd.audio) {
    graph.push(
      `[${cmd.audio.stream ?? "0:a:0"}]${chain([cmd.audio.filter, ...STEREO_48K, ...fitTo(cmd.audio.fitSeconds)], "anull")},asplit=2[a][ap0]`,
      `[ap0]atrim=duration=${cmd.previewSeconds},asetpts=PTS-STARTPTS[ap]`,
    );
    graph.push(...alternateChains(cmd.audio));
  }

  const args = [
    ...cmd.base,
    ...encoder.decodeArgs(plan),
    ...(previewOnly ? ["-t", String(cmd.previewSeconds)] : []),
    "-i", cmd.input,
    "-filter_complex", graph.join(";"),
    // Machine-readable progress on stdout; no human stats on stderr.
    "-progress", "pipe:1",
    "-nostats",
  ];
  rungs.forEach((rung, i) => {
    args.push("-map", `[v${i}]`, ...encoder.encodeArgs(rung, plan), ...FIRST_PICTURE_AT_ZERO, "-an", ...hlsOutputArgs(`${cmd.hlsDir}/${rung.name}`, "index.m3u8", cmd.segmentSeconds));
  });
  if (cmd.audio && !previewOnly) args.push(...audioGroupOutputs(cmd, cmd.audio));
  args.push("-map", "[vp]", ...encoder.encodeArgs(pre, plan), ...FIRST_PICTURE_AT_ZERO);
  if (cmd.audio) args.push("-map", "[ap]", ...aacArgs(128));
  args.push(...hlsOutputArgs(`${cmd.hlsDir}/preview`, "preview.m3u8", cmd.segmentSeconds));
  if (sb) {
    // One small PNG per tile (lossless: the sheet is the one JPEG encode), numbered from 1.
    // One picture per selected frame, none repeated to fill the time between (constant-rate output would).
    args.push("-map", "[vsb]", "-c:v", "png", "-fps_mode", "passthrough", "-f", "image2", "-y", `${sb.tilesDir}/${TILE_PATTERN}`);
  }
  return args;
}

/** Every other track: its own rendition of the audio group, fitted the same way. */
function alternateChains(audio: NonNullable<LadderCommand["audio"]>): string[] {
  return (audio.alternates ?? []).map((alt, i) => `[${alt.stream}]${chain([alt.filter, ...STEREO_48K, ...fitTo(audio.fitSeconds)], "anull")}[alt${i}]`);
}

/** The audio group's outputs: the default track ([a]) and every other track ([altN]). */
function audioGroupOutputs(cmd: LadderCommand, audio: NonNullable<LadderCommand["audio"]>): string[] {
  return [
    "-map", "[a]", "-vn", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/audio`, "index.m3u8", cmd.segmentSeconds),
    ...(audio.alternates ?? []).flatMap((_, i) => ["-map", `[alt${i}]`, "-vn", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/${alternateDir(i)}`, "index.m3u8", cmd.segmentSeconds)]),
  ];
}

/**
 * A fan-out's sound (fanout/): the audio group of the one-job encode, exactly, in a process that
 * maps no picture, so none is decoded (the chunks have the picture). Null for a silent source.
 */
export function soundArgs(cmd: LadderCommand): string[] | null {
  const audio = cmd.audio;
  if (!audio) return null;
  const graph = [`[${audio.stream ?? "0:a:0"}]${chain([audio.filter, ...STEREO_48K, ...fitTo(audio.fitSeconds)], "anull")}[a]`, ...alternateChains(audio)];
  return [...cmd.base, "-i", cmd.input, "-filter_complex", graph.join(";"), "-progress", "pipe:1", "-nostats", ...audioGroupOutputs(cmd, audio)];
}
