import { cpuSourceFilters } from "./encoders/types.ts";
import type { VideoPlan } from "./plan.ts";

/** JPEG thumbnail at `atSeconds`, at the top rung's size (no larger than 1280 on the long side). */
export function thumbnailArgs(cmd: { input: string; output: string; atSeconds: number; plan: VideoPlan; base: string[] }): string[] {
  const top = cmd.plan.rungs[0]!;
  const scale = Math.min(1, 1280 / Math.max(top.width, top.height));
  const w = Math.max(2, Math.round((top.width * scale) / 2) * 2);
  const h = Math.max(2, Math.round((top.height * scale) / 2) * 2);
  const filters = cpuSourceFilters(cmd.plan).filter((f) => !f.startsWith("fps="));
  return [
    ...cmd.base,
    // Fast input seek: jump to the nearest keyframe before the mark, then decode forward to it.
    "-ss", cmd.atSeconds.toFixed(3),
    "-i", cmd.input,
    "-map", "0:v:0",
    "-vf", [...filters, `scale=${w}:${h}:flags=bicubic`, "setsar=1"].join(","),
    "-frames:v", "1",
    // JPEG quality 3 on FFmpeg's 2–31 scale: sharp, still small.
    "-q:v", "3",
    "-y", cmd.output,
  ];
}

/** Sources the archive can keep as they are (only the container is rewritten). */
export function canRemux(videoCodec: string | null, audioCodec: string | null): boolean {
  return (videoCodec === null || videoCodec === "h264" || videoCodec === "hevc") && (audioCodec === null || audioCodec === "aac");
}

/** The high-quality mezzanine MP4 at the source resolution, faststart; remuxed when possible. */
export function mezzanineArgs(cmd: { input: string; output: string; remux: boolean; videoCodec: string | null; hasAudio: boolean; base: string[] }): string[] {
  const hasVideo = cmd.videoCodec !== null;
  const maps = [...(hasVideo ? ["-map", "0:v:0"] : []), ...(cmd.hasAudio ? ["-map", "0:a:0"] : [])];
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
