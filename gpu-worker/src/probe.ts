import { stat } from "node:fs/promises";
import { demuxerFor, isStillImage, PROBE_WHITELIST, refusePlaylists } from "./containers.ts";
import { PipelineError } from "./errors.ts";
import { TEXT_SUBTITLE_CODECS } from "./outputs/subtitles.ts";
import { runTool, ToolFailed } from "./ffmpeg/spawn.ts";

export interface VideoInfo {
  /** FFmpeg's stream specifier for this stream (`0:<index>`): the first video that is not cover art. */
  stream: string;
  codec: string;
  /** Coded size. */
  width: number;
  height: number;
  /** Sample (pixel) aspect ratio: 64/45 for PAL 16:9 anamorphic, 1 for square pixels. */
  sar: number;
  /** Size as displayed: square pixels (coded width × SAR), after the display-matrix rotation. */
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
  /** Interlaced (field_order tt/bb/tb/bt) as the stream says; the pipeline may still find it by idet. */
  fieldOrder: "progressive" | "interlaced" | "unknown";
  /** Seconds of video, from the stream (the container's duration is the longest stream's). */
  durationSeconds: number | null;
  /** Where the video starts on the clock every FFmpeg output of this file uses (0 = the file's start). */
  startSeconds: number;
}

export interface AudioInfo {
  /** FFmpeg's stream specifier (`0:<index>`): the track flagged default, else the first. */
  stream: string;
  codec: string;
  channels: number;
  channelLayout: string | null;
  sampleRate: number;
}

/** One audio track as a player lists it. */
export interface AudioTrack {
  /** FFmpeg's stream specifier, `0:<index>`. */
  stream: string;
  /** The container's language tag (ISO 639-2 as Matroska and MP4 keep it), null when absent or `und`. */
  language: string | null;
  /** The track's title, if the file gives one. */
  title: string | null;
  default: boolean;
}

/** One subtitle track: text ones become WebVTT renditions, bitmap ones (PGS, DVB, DVD) are skipped. */
export interface SubtitleTrack {
  stream: string;
  codec: string;
  language: string | null;
  title: string | null;
  kind: "text" | "bitmap";
}

export interface MediaInfo {
  /** The container's length (its longest stream). */
  durationSeconds: number;
  formatName: string;
  /** The demuxer every later command is forced to (see containers.ts). */
  demuxer: string;
  video: VideoInfo | null;
  /** The track played by default: the one flagged default, else the first. */
  audio: AudioInfo | null;
  /** Every audio track, the default one first, then in the file's order. */
  audioTracks: AudioTrack[];
  subtitleTracks: SubtitleTrack[];
}

export interface ProbeOptions {
  maxDurationSeconds: number;
  /** Frames above this many pixels are refused before anything decodes them (default MAX_PIXELS). */
  maxPixels?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** 36 MP: above 8K UHD (33.2 MP), far below a decompression bomb's 256 MP. */
export const MAX_PIXELS = 36_000_000;

const HDR_TRANSFERS = new Set(["smpte2084", "arib-std-b67"]);

function rate(text: string | undefined): number {
  if (!text) return 0;
  const [n, d] = text.split("/").map(Number);
  return d ? n! / d : Number(n) || 0;
}

/** "00:00:05.040000000" → 5.04; null when absent or unreadable. */
function hms(text: unknown): number | null {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(String(text ?? "").trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) || null : null;
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

  // Before FFmpeg sees it: a playlist is refused with a message that says so.
  await refusePlaylists(input);

  let json: { format?: Record<string, any>; streams?: FfStream[] };
  try {
    const { stdout } = await runTool(
      "ffprobe",
      [
        "-v", "error",
        // Local files only, and a bounded look at the header.
        "-protocol_whitelist", "file,pipe",
        // Real media containers only (and single images, to be named as such): no demuxer that opens other files.
        "-format_whitelist", PROBE_WHITELIST,
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
  const formatName = String(json.format?.format_name ?? "");
  const v = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  const audios = streams.filter((s) => s.codec_type === "audio");
  const a = audios.find((s) => s.disposition?.default === 1) ?? audios[0];
  // First of all, before anything decodes a frame: its size.
  const pixels = Number(v?.width) * Number(v?.height);
  const maxPixels = opts.maxPixels ?? MAX_PIXELS;
  if (v && pixels > maxPixels) {
    throw new PipelineError(
      "INPUT_TOO_LARGE",
      `The video's frames are ${v.width}×${v.height} (${(pixels / 1e6).toFixed(1)} MP); the limit is ${(maxPixels / 1e6).toFixed(1)} MP`,
    );
  }
  if (isStillImage(formatName, v) && !a) {
    throw new PipelineError("NOT_A_VIDEO", `The file is a still image (${v?.codec_name ?? formatName}), not a video: upload a video, or the image with a sound track as a video file`);
  }
  if (!v && !a) throw new PipelineError("NO_MEDIA_STREAMS", "The file has neither a video nor an audio stream");
  const demuxer = demuxerFor(formatName);

  // The video's own length: MP4 and TS say it per stream, Matroska in a DURATION tag.
  const videoSeconds = v ? Number(v.duration) || hms(v.tags?.DURATION ?? v.tags?.duration) : null;
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
    const sar = rate(v.sample_aspect_ratio?.replace(":", "/")) || 1;
    // Square pixels: an anamorphic frame is widened to its display aspect (720×576 at 64:45 → 1024×576).
    const squareWidth = Math.round(Number(v.width) * sar);
    const pixFmt = String(v.pix_fmt ?? "yuv420p");
    const avg = rate(v.avg_frame_rate);
    const nominal = rate(v.r_frame_rate);
    const colorTransfer = (v.color_transfer as string | undefined) ?? null;
    const field = String(v.field_order ?? "unknown");
    video = {
      stream: `0:${v.index}`,
      codec: String(v.codec_name),
      width: Number(v.width),
      height: Number(v.height),
      sar,
      displayWidth: quarter ? Number(v.height) : squareWidth,
      displayHeight: quarter ? squareWidth : Number(v.height),
      rotation,
      fps: avg || nominal || 30,
      nominalFps: nominal || null,
      variableFrameRate: avg > 0 && nominal > 0 && Math.abs(avg - nominal) / nominal > 0.01,
      pixFmt,
      bitDepth: bitDepthOf(pixFmt, v.bits_per_raw_sample),
      colorTransfer,
      hdr: colorTransfer !== null && HDR_TRANSFERS.has(colorTransfer),
      bitRate: Number(v.bit_rate) || null,
      fieldOrder: field === "progressive" ? "progressive" : ["tt", "bb", "tb", "bt"].includes(field) ? "interlaced" : "unknown",
      durationSeconds: videoSeconds,
      startSeconds: Math.max(0, (Number(v.start_time) || 0) - (Number(json.format?.start_time) || 0)),
    };
    if (!(video.width > 0 && video.height > 0)) throw new PipelineError("INPUT_UNREADABLE", "The video stream has no frame size");
  }
  const audio: AudioInfo | null = a
    ? {
        stream: `0:${a.index}`,
        codec: String(a.codec_name),
        channels: Number(a.channels) || 2,
        channelLayout: (a.channel_layout as string | undefined) ?? null,
        sampleRate: Number(a.sample_rate) || 48000,
      }
    : null;
  const track = (s: FfStream): AudioTrack => {
    const lang = String(s.tags?.language ?? s.tags?.LANGUAGE ?? "").trim().toLowerCase();
    const title = String(s.tags?.title ?? s.tags?.TITLE ?? s.tags?.handler_name ?? "").trim();
    return {
      stream: `0:${s.index}`,
      language: /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(lang) && lang !== "und" ? lang : null,
      // MP4's handler names ("SoundHandler") are the muxer's, not a title.
      title: title && !/^(Sound|Video)Handler$/i.test(title) ? title.slice(0, 60) : null,
      default: s === a,
    };
  };
  const audioTracks = a ? [a, ...audios.filter((s) => s !== a)].map(track) : [];
  const subtitleTracks: SubtitleTrack[] = streams
    .filter((s) => s.codec_type === "subtitle")
    .map((s) => {
      const { stream, language, title } = track(s);
      const codec = String(s.codec_name ?? "unknown");
      return { stream, codec, language, title, kind: TEXT_SUBTITLE_CODECS.has(codec) ? "text" : "bitmap" };
    });
  return { durationSeconds, formatName, demuxer, video, audio, audioTracks, subtitleTracks };
}
