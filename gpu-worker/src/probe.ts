import { stat } from "node:fs/promises";
import { PipelineError } from "./errors.ts";
import { runTool, ToolFailed } from "./ffmpeg/spawn.ts";

export interface VideoInfo {
  codec: string;
  /** Coded size. */
  width: number;
  height: number;
  /** Size as displayed, after the display-matrix rotation. */
  displayWidth: number;
  displayHeight: number;
  rotation: number;
  /** Average frame rate; `variable` when the container's nominal and average rates disagree. */
  fps: number;
  /** The container's nominal rate (r_frame_rate): what a variable-rate camera aimed at. */
  nominalFps: number | null;
  variableFrameRate: boolean;
  pixFmt: string;
  bitDepth: number;
  colorTransfer: string | null;
  hdr: boolean;
  bitRate: number | null;
}

export interface AudioInfo {
  codec: string;
  channels: number;
  channelLayout: string | null;
  sampleRate: number;
}

export interface MediaInfo {
  durationSeconds: number;
  formatName: string;
  video: VideoInfo | null;
  audio: AudioInfo | null;
}

export interface ProbeOptions {
  maxDurationSeconds: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const HDR_TRANSFERS = new Set(["smpte2084", "arib-std-b67"]);

function rate(text: string | undefined): number {
  if (!text) return 0;
  const [n, d] = text.split("/").map(Number);
  return d ? n! / d : Number(n) || 0;
}

function bitDepthOf(pixFmt: string, bitsPerRaw: string | undefined): number {
  const raw = Number(bitsPerRaw);
  if (raw > 0) return raw;
  const m = /p(\d{2})(le|be)?$/.exec(pixFmt);
  return m ? Number(m[1]) : 8;
}

type FfStream = Record<string, any>;

/** Reads duration, streams, rotation, frame rate, pixel format, HDR and audio layout with ffprobe. */
export async function probe(input: string, opts: ProbeOptions): Promise<MediaInfo> {
  const st = await stat(input).catch(() => null);
  if (!st) throw new PipelineError("INPUT_NOT_FOUND", `The input file ${input} does not exist`);
  if (st.size === 0) throw new PipelineError("INPUT_UNREADABLE", "The input file is empty (0 bytes): the upload did not complete");

  let json: { format?: Record<string, any>; streams?: FfStream[] };
  try {
    const { stdout } = await runTool(
      "ffprobe",
      [
        "-v", "error",
        // Local files only, and a bounded look at the header.
        "-protocol_whitelist", "file,pipe",
        "-probesize", "50M",
        "-analyzeduration", "20M",
        "-print_format", "json",
        "-show_format",
        "-show_streams",
        input,
      ],
      { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    json = JSON.parse(stdout);
  } catch (error) {
    if (error instanceof ToolFailed && error.reason === "aborted") throw error;
    const detail = error instanceof ToolFailed ? error.stderrTail.trim().split("\n").at(-1) : (error as Error).message;
    throw new PipelineError("INPUT_UNREADABLE", `The file is not a media file FFmpeg can read (${detail}); upload it again or export it as MP4`, false, {
      cause: error,
    });
  }

  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  const a = streams.find((s) => s.codec_type === "audio");
  if (!v && !a) throw new PipelineError("NO_MEDIA_STREAMS", "The file has neither a video nor an audio stream");

  const durationSeconds = Number(json.format?.duration) || Number(v?.duration) || Number(a?.duration) || 0;
  if (!(durationSeconds > 0)) {
    throw new PipelineError("INPUT_UNREADABLE", "The file's duration cannot be read; it may be truncated. Upload it again");
  }
  if (durationSeconds > opts.maxDurationSeconds) {
    throw new PipelineError(
      "INPUT_TOO_LONG",
      `The media is ${Math.round(durationSeconds)} s long; the limit is ${opts.maxDurationSeconds} s`,
    );
  }

  let video: VideoInfo | null = null;
  if (v) {
    const rotationRaw = Number(v.side_data_list?.find((d: any) => d.rotation !== undefined)?.rotation ?? v.tags?.rotate ?? 0);
    const rotation = ((Math.round(rotationRaw) % 360) + 360) % 360;
    const quarter = rotation === 90 || rotation === 270;
    const pixFmt = String(v.pix_fmt ?? "yuv420p");
    const avg = rate(v.avg_frame_rate);
    const nominal = rate(v.r_frame_rate);
    const colorTransfer = (v.color_transfer as string | undefined) ?? null;
    video = {
      codec: String(v.codec_name),
      width: Number(v.width),
      height: Number(v.height),
      displayWidth: quarter ? Number(v.height) : Number(v.width),
      displayHeight: quarter ? Number(v.width) : Number(v.height),
      rotation,
      fps: avg || nominal || 30,
      nominalFps: nominal || null,
      variableFrameRate: avg > 0 && nominal > 0 && Math.abs(avg - nominal) / nominal > 0.01,
      pixFmt,
      bitDepth: bitDepthOf(pixFmt, v.bits_per_raw_sample),
      colorTransfer,
      hdr: colorTransfer !== null && HDR_TRANSFERS.has(colorTransfer),
      bitRate: Number(v.bit_rate) || null,
    };
    if (!(video.width > 0 && video.height > 0)) throw new PipelineError("INPUT_UNREADABLE", "The video stream has no frame size");
  }
  const audio: AudioInfo | null = a
    ? {
        codec: String(a.codec_name),
        channels: Number(a.channels) || 2,
        channelLayout: (a.channel_layout as string | undefined) ?? null,
        sampleRate: Number(a.sample_rate) || 48000,
      }
    : null;
  return { durationSeconds, formatName: String(json.format?.format_name ?? ""), video, audio };
}
