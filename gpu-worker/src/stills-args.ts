import { cpuSourceFilters } from "./encoders/types.ts";
import type { VideoPlan } from "./plan.ts";

/** Mean luma (8-bit) at or below which a frame counts as black: limited-range black is 16. */
export const BLACK_LUMA = 24;
/** How far past the 10 % mark a thumbnail looks for a frame that is not black. */
export const THUMBNAIL_WINDOW_SECONDS = 10;

/**
 * JPEG thumbnail at `atSeconds`, at the top rung's size (no larger than 1280 on the long side).
 *
 * `seek`: a fast input seek (to the keyframe before the mark, then decoding forward); `decode`:
 * decoding from the start, for files whose input seek lands before any decodable frame (MPEG-TS
 * with wrapped timestamps, interlaced captures). With `skipBlack`, the first frame from the mark
 * on whose mean luma is above BLACK_LUMA is taken, within THUMBNAIL_WINDOW_SECONDS; showinfo
 * prints its time.
 */
export function thumbnailArgs(cmd: {
  input: string;
  output: string;
  atSeconds: number;
  plan: VideoPlan;
  base: string[];
  mode?: "seek" | "decode";
  skipBlack?: boolean;
}): string[] {
  const top = cmd.plan.rungs[0]!;
  const scale = Math.min(1, 1280 / Math.max(top.width, top.height));
  const w = Math.max(2, Math.round((top.width * scale) / 2) * 2);
  const h = Math.max(2, Math.round((top.height * scale) / 2) * 2);
  const filters = cpuSourceFilters(cmd.plan).filter((f) => !f.startsWith("fps="));
  const at = cmd.atSeconds.toFixed(3);
  const seek = (cmd.mode ?? "seek") === "seek";
  const end = (cmd.atSeconds + THUMBNAIL_WINDOW_SECONDS).toFixed(3);
  return [
    ...cmd.base,
    // Fast input seek: jump to the nearest keyframe before the mark, then decode forward to it.
    ...(seek ? ["-ss", at, ...(cmd.skipBlack ? ["-t", String(THUMBNAIL_WINDOW_SECONDS)] : [])] : []),
    "-i", cmd.input,
    "-map", cmd.plan.stream ?? "0:v:0",
    "-vf",
    [
      // Decoding from the start: frames before the mark are dropped by their own timestamps, in
      // the graph, so that what follows (and showinfo's time) only ever sees frames from the mark.
      ...(seek ? [] : [cmd.skipBlack ? `trim=start=${at}:end=${end}` : `trim=start=${at}`]),
      ...filters,
      // Mean luma per frame, then only frames brighter than black pass.
      ...(cmd.skipBlack ? ["signalstats", `metadata=mode=select:key=lavfi.signalstats.YAVG:value=${BLACK_LUMA}:function=greater`] : []),
      `scale=${w}:${h}:flags=bicubic`,
      "setsar=1",
      // Logs the chosen frame's time (pts_time) on stderr.
      "showinfo",
    ].join(","),
    "-frames:v", "1",
    // JPEG quality 3 on FFmpeg's 2–31 scale: sharp, still small.
    "-q:v", "3",
    "-y", cmd.output,
  ];
}

/** The time showinfo gave the one frame written, in seconds from the command's own start. */
export function shownAt(stderr: string): number | null {
  const m = /\bpts_time:\s*(-?[\d.]+)/.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** Sources the archive can keep as they are (only the container is rewritten). */
export function canRemux(videoCodec: string | null, audioCodec: string | null): boolean {
  return (videoCodec === null || videoCodec === "h264" || videoCodec === "hevc") && (audioCodec === null || audioCodec === "aac");
}

/** The high-quality mezzanine MP4 at the source resolution, faststart; remuxed when possible. */
export function mezzanineArgs(cmd: {
  input: string;
  output: string;
  remux: boolean;
  videoCodec: string | null;
  hasAudio: boolean;
  base: string[];
  streams?: { video?: string; audio?: string };
}): string[] {
  const hasVideo = cmd.videoCodec !== null;
  const maps = [...(hasVideo ? ["-map", cmd.streams?.video ?? "0:v:0"] : []), ...(cmd.hasAudio ? ["-map", cmd.streams?.audio ?? "0:a:0"] : [])];
  const codecs = cmd.remux
    ? // Already H.264/HEVC with AAC: copy the streams, no generation loss, seconds not minutes
      // (HEVC tagged hvc1, the tag Apple's players require).
      ["-c", "copy", ...(cmd.videoCodec === "hevc" ? ["-tag:v", "hvc1"] : [])]
    : [
        ...(hasVideo
          ? // Visually lossless H.264 at the source size (CRF 18), 8-bit 4:2:0 for wide decoder support.
            ["-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p"]
          : []),
        ...(cmd.hasAudio ? ["-c:a", "aac", "-b:a", "256k"] : []),
      ];
  return [
    ...cmd.base,
    "-i", cmd.input,
    ...maps,
    ...codecs,
    // moov atom first: playable and seekable while still downloading.
    "-movflags", "+faststart",
    "-y", cmd.output,
  ];
}

/** Whether the mezzanine can be the original's streams copied (H.264/HEVC with AAC, from MP4/MOV). */
export function mezzanineRemuxes(videoCodec: string | null, audioCodec: string | null, formatName: string): boolean {
  return canRemux(videoCodec, audioCodec) && /mp4|mov/.test(formatName);
}

/** One chunk's span of the mezzanine's picture (fanout/): the one-job encode's flags, cut by the caller's filters. */
export function mezzaninePartArgs(output: string): string[] {
  return [
    // As mezzanineArgs: visually lossless H.264 at the source size, 8-bit 4:2:0.
    "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p",
    // The original's own frame timing, no frame made up or dropped.
    "-fps_mode", "passthrough",
    "-an",
    // MPEG-TS: parts that the concat demuxer joins end to end.
    "-f", "mpegts", "-y", output,
  ];
}

/** The mezzanine's sound from the whole file (a fan-out's whole-file job): as mezzanineArgs encodes it. */
export function mezzanineAudioArgs(cmd: { input: string; output: string; base: string[]; stream?: string }): string[] {
  return [...cmd.base, "-i", cmd.input, "-map", cmd.stream ?? "0:a:0", "-vn", "-c:a", "aac", "-b:a", "256k", "-f", "mp4", "-y", cmd.output];
}

/**
 * The mezzanine from a fan-out's parts, copied, nothing encoded: the chunks' pictures end to end
 * (a concat list we wrote, of our own files only) and the whole-file job's sound, faststart.
 */
export function mezzanineJoinArgs(cmd: { list: string; audio: string | null; output: string; base: string[] }): string[] {
  return [
    ...cmd.base,
    "-f", "concat", "-safe", "1", "-i", cmd.list,
    ...(cmd.audio ? ["-i", cmd.audio] : []),
    "-map", "0:v:0", ...(cmd.audio ? ["-map", "1:a:0"] : []),
    "-c", "copy",
    "-movflags", "+faststart",
    "-y", cmd.output,
  ];
}
