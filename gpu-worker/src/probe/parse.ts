import type { AudioInfo, AudioTrack, SubtitleTrack, VideoInfo } from "./types.ts";
import { isStillImage } from "../containers.ts";

/** Subtitle codecs FFmpeg can turn into WebVTT: text in a container. */
export const TEXT_SUBTITLE_CODECS = new Set([
  "subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "subviewer", "subviewer1", "microdvd", "sami", "realtext", "stl", "jacosub", "mpl2", "pjs", "vplayer",
]);

const HDR_TRANSFERS = new Set(["smpte2084", "arib-std-b67"]);

/** ffprobe's `-show_format -show_streams` JSON, as far as it is read (every field may be missing). */
export interface ProbeJson {
  format?: Record<string, any>;
  streams?: Record<string, any>[];
}

/** What ffprobe said, read without judging it (./admit.ts judges). */
export interface ParsedProbe {
  formatName: string;
  /** The container's length (its longest stream); 0 when unreadable. */
  durationSeconds: number;
  video: VideoInfo | null;
  audio: AudioInfo | null;
  audioTracks: AudioTrack[];
  subtitleTracks: SubtitleTrack[];
  /** The file is one still image (an image container, or one frame of an image codec). */
  stillImage: boolean;
}

/** Pure: ffprobe's JSON → the facts (rotation, square-pixel display size, frame rates, HDR, tracks). */
export function parseProbe(json: ProbeJson): ParsedProbe {
  const streams = json.streams ?? [];
  const formatName = String(json.format?.format_name ?? "");
  // Cover art (an attached picture) is not the video.
  const v = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  const audios = streams.filter((s) => s.codec_type === "audio");
  const a = audios.find((s) => s.disposition?.default === 1) ?? audios[0];
  const durationSeconds = Number(json.format?.duration) || Number(v?.duration) || Number(a?.duration) || 0;
  const track = (s: Record<string, any>): AudioTrack => {
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
  return {
    formatName,
    durationSeconds,
    video: v ? videoOf(v, Number(json.format?.start_time) || 0) : null,
    audio: a
      ? { stream: `0:${a.index}`, codec: String(a.codec_name), channels: Number(a.channels) || 2, channelLayout: (a.channel_layout as string | undefined) ?? null, sampleRate: Number(a.sample_rate) || 48000 }
      : null,
    audioTracks: a ? [a, ...audios.filter((s) => s !== a)].map(track) : [],
    subtitleTracks: streams
      .filter((s) => s.codec_type === "subtitle")
      .map((s) => {
        const { stream, language, title } = track(s);
        const codec = String(s.codec_name ?? "unknown");
        return { stream, codec, language, title, kind: TEXT_SUBTITLE_CODECS.has(codec) ? "text" : "bitmap" };
      }),
    stillImage: isStillImage(formatName, v),
  };
}

function videoOf(v: Record<string, any>, formatStart: number): VideoInfo {
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
  return {
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
    // The video's own length: MP4 and TS say it per stream, Matroska in a DURATION tag.
    durationSeconds: Number(v.duration) || hms(v.tags?.DURATION ?? v.tags?.duration),
    startSeconds: Math.max(0, (Number(v.start_time) || 0) - formatStart),
  };
}

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
