import { demuxerFor } from "../containers.ts";
import { PipelineError } from "../errors.ts";
import type { ParsedProbe } from "./parse.ts";
import type { MediaInfo } from "./types.ts";

export interface Limits {
  maxDurationSeconds: number;
  /** Frames above this many pixels are refused before anything decodes them (default MAX_PIXELS). */
  maxPixels?: number;
}

/** 36 MP: above 8K UHD (33.2 MP), far below a decompression bomb's 256 MP. */
export const MAX_PIXELS = 36_000_000;

/** Whether the job takes this file, judged from the probe alone (nothing has decoded a frame yet); the reason when not. */
export function admit(p: ParsedProbe, limits: Limits): MediaInfo {
  const { video, audio } = p;
  // First of all, before anything decodes a frame: its size.
  const pixels = (video?.width ?? 0) * (video?.height ?? 0);
  const maxPixels = limits.maxPixels ?? MAX_PIXELS;
  if (video && pixels > maxPixels) {
    throw new PipelineError("INPUT_TOO_LARGE", `The video's frames are ${video.width}×${video.height} (${(pixels / 1e6).toFixed(1)} MP); the limit is ${(maxPixels / 1e6).toFixed(1)} MP`);
  }
  if (p.stillImage && !audio) {
    throw new PipelineError("NOT_A_VIDEO", `The file is a still image (${video?.codec ?? p.formatName}), not a video: upload a video, or the image with a sound track as a video file`);
  }
  if (!video && !audio) throw new PipelineError("NO_MEDIA_STREAMS", "The file has neither a video nor an audio stream");
  const demuxer = demuxerFor(p.formatName);
  if (!(p.durationSeconds > 0)) throw new PipelineError("INPUT_UNREADABLE", "The file's duration cannot be read; it may be truncated. Upload it again");
  if (p.durationSeconds > limits.maxDurationSeconds) {
    throw new PipelineError("INPUT_TOO_LONG", `The media is ${Math.round(p.durationSeconds)} s long; the limit is ${limits.maxDurationSeconds} s`);
  }
  if (video && !(video.width > 0 && video.height > 0)) throw new PipelineError("INPUT_UNREADABLE", "The video stream has no frame size");
  const { formatName, durationSeconds, audioTracks, subtitleTracks } = p;
  return { durationSeconds, formatName, demuxer, video, audio, audioTracks, subtitleTracks };
}
