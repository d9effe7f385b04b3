/** What the probe learns of an original: the facts every later step is planned from. */

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
