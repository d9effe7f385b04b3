import type { VideoEncoder } from "./encoders/types.ts";
import { aacArgs, chain, hlsOutputArgs } from "./hls-args.ts";
import { previewRung, type VideoPlan } from "./plan.ts";

export interface LadderCommand {
  input: string;
  /** Where the attempt's HLS tree goes: <hlsDir>/<rung>/…, <hlsDir>/audio/…, <hlsDir>/preview/… */
  hlsDir: string;
  plan: VideoPlan;
  encoder: VideoEncoder;
  segmentSeconds: number;
  previewSeconds: number;
  /** Null when the source has no audio track. */
  audio: { filter: string | null } | null;
  base: string[];
}

/**
 * The whole video job's encode in ONE FFmpeg process with one decode: the source is prepared
 * once, split into every rung plus the preview, and the audio is encoded once as a shared group.
 */
export function ladderArgs(cmd: LadderCommand): string[] {
  const { plan, encoder } = cmd;
  const n = plan.rungs.length;
  const pre = previewRung(plan);
  const graph: string[] = [];
  const splitOuts = [...plan.rungs.map((_, i) => `[s${i}]`), "[sp]"].join("");
  graph.push(`[0:v:0]${chain(encoder.sourceFilters(plan), "null")},split=${n + 1}${splitOuts}`);
  plan.rungs.forEach((rung, i) => graph.push(`[s${i}]${encoder.scaleFilter(rung)}[v${i}]`));
  // The preview is the first seconds at the middle rung, as its own stream with its own segments.
  graph.push(`[sp]trim=duration=${cmd.previewSeconds},setpts=PTS-STARTPTS,${encoder.scaleFilter(pre)}[vp]`);
  if (cmd.audio) {
    graph.push(
      `[0:a:0]${chain([cmd.audio.filter, "aresample=48000", "aformat=sample_rates=48000:channel_layouts=stereo"], "anull")},asplit=2[a][ap0]`,
      `[ap0]atrim=duration=${cmd.previewSeconds},asetpts=PTS-STARTPTS[ap]`,
    );
  }

  const args = [
    ...cmd.base,
    ...encoder.decodeArgs(plan),
    "-i", cmd.input,
    "-filter_complex", graph.join(";"),
    // Machine-readable progress on stdout; no human stats on stderr.
    "-progress", "pipe:1",
    "-nostats",
  ];
  plan.rungs.forEach((rung, i) => {
    args.push("-map", `[v${i}]`, ...encoder.encodeArgs(rung, plan), "-an", ...hlsOutputArgs(`${cmd.hlsDir}/${rung.name}`, "index.m3u8", cmd.segmentSeconds));
  });
  if (cmd.audio) {
    args.push("-map", "[a]", "-vn", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/audio`, "index.m3u8", cmd.segmentSeconds));
  }
  args.push("-map", "[vp]", ...encoder.encodeArgs(pre, plan));
  if (cmd.audio) args.push("-map", "[ap]", ...aacArgs(128));
  args.push(...hlsOutputArgs(`${cmd.hlsDir}/preview`, "preview.m3u8", cmd.segmentSeconds));
  return args;
}
