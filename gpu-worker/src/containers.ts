import { open } from "node:fs/promises";
import { isPlaylist, SNIFF_BYTES } from "../../src/contract/index.ts";
import { PipelineError } from "./errors.ts";
import { baseInputFlags } from "./ffmpeg/spawn.ts";

/**
 * The demuxers an upload may be read with: real media containers and elementary streams. Every
 * other one is refused, above all those that open further files or URLs by themselves (hls,
 * dash, concat, image2 sequences, tty, lavfi, data, playlists of every kind): a playlist whose
 * entries say file:///…/another-job/seg.ts would otherwise turn another job's media into this one.
 */
export const MEDIA_DEMUXERS = [
  "mov", "matroska", "mpegts", "mpeg", "avi", "flv", "asf", "mxf", "ogg", "wav", "w64", "mp3", "flac",
  "aac", "ac3", "eac3", "dts", "truehd", "aiff", "caf", "dv", "h264", "hevc", "m4v", "mpegvideo", "ivf",
  "amr", "ape", "wv", "tta", "gif", "nut", "gxf", "rm", "wtv",
] as const;

/** Single-image demuxers: probed so that a still can be named as such, never transcoded. */
export const IMAGE_DEMUXERS = ["png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe", "jpegls_pipe", "j2k_pipe", "qoi_pipe", "image2"] as const;

/** Video codecs that are pictures: one of them alone, one frame, is a still, not a video. */
const IMAGE_CODECS = new Set(["png", "mjpeg", "jpegls", "bmp", "tiff", "webp", "gif", "jpeg2000", "qoi", "apng"]);

/** What ffprobe may open at all (the probe's `-format_whitelist`). */
export const PROBE_WHITELIST = [...MEDIA_DEMUXERS, ...IMAGE_DEMUXERS].join(",");

/**
 * Refuses an upload whose first bytes are a playlist or concat list (the contract's rule, which
 * the control plane also applies at upload): checked before FFmpeg sees the file, so that the
 * creator is told what was wrong instead of "invalid data".
 */
export async function refusePlaylists(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (isPlaylist(buf.subarray(0, bytesRead))) {
      throw new PipelineError(
        "INPUT_UNREADABLE",
        "The file is a playlist (HLS, DASH, concat or similar), not media: playlists are not accepted. Upload the video or audio file itself",
      );
    }
  } finally {
    await handle.close();
  }
}

/** The demuxer the encode is forced to: the first of ffprobe's names, checked against the list. */
export function demuxerFor(formatName: string): string {
  const names = formatName.split(",");
  const known = [...MEDIA_DEMUXERS, ...IMAGE_DEMUXERS] as readonly string[];
  const name = names.find((n) => known.includes(n));
  if (!name) {
    throw new PipelineError("INPUT_UNREADABLE", `The container (${formatName || "unknown"}) is not one of the accepted media containers; export it as MP4 or MKV`);
  }
  return name;
}

/** Whether the probed file is one picture (a PNG, a JPEG, a one-frame image stream), not a video. */
export function isStillImage(formatName: string, video: { codec_name?: string; nb_frames?: string; duration?: string } | undefined): boolean {
  if ((IMAGE_DEMUXERS as readonly string[]).some((d) => formatName.split(",").includes(d))) return true;
  if (!video || !IMAGE_CODECS.has(String(video.codec_name))) return false;
  const frames = Number(video.nb_frames);
  return frames === 1 || (!(frames > 1) && !(Number(video.duration) > 0));
}

/** Input flags that open the original with the demuxer the probe decided, and no other. */
export function sourceFormatArgs(demuxer: string): string[] {
  return [
    // Forced: FFmpeg does not guess again from the bytes or the name (no playlist, no sequence).
    "-f", demuxer,
  ];
}

/** Every flag an FFmpeg command that opens the original starts with: ours, then its demuxer forced. */
export function sourceInputFlags(demuxer: string): string[] {
  return [...baseInputFlags(), ...sourceFormatArgs(demuxer)];
}
