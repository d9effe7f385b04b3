import type { DownloadsRequest, JobOutput, KeyScope, MediaType, outputKeys, RenditionName } from "../../../src/contract/index.ts";
import type { EncoderChoice } from "../encoders/detect.ts";
import type { LoudnessTarget } from "../loudness.ts";
import type { MediaInfo } from "../probe.ts";
import type { ProgressEvent, ProgressTracker } from "../progress.ts";

export interface PipelineJob extends KeyScope {
  input: string;
  /** Files are written under outDir at their storage keys (design.md §1). */
  outDir: string;
  mediaType: MediaType;
  renditions: RenditionName[];
  segmentSeconds: number;
  previewSeconds: number;
  loudnessTarget: LoudnessTarget;
  /** False: the sound keeps its own level (measured and reported all the same). Absent: normalised. */
  normalizeAudio?: boolean;
  /** MP4/M4A downloads to remux from the finished segments (absent: none). */
  downloads?: DownloadsRequest;
  /** The poster frame the item asked for (seconds); absent: 10 % of the video. */
  thumbnailSeconds?: number;
  encoder: EncoderChoice;
  /** Whether an archive bucket is configured: no archive, no mezzanine. */
  archive: boolean;
  maxDurationSeconds: number;
  /** Frames above this many pixels are refused (default: probe's MAX_PIXELS). */
  maxPixels?: number;
  /** Cores to spread a long audio encode over (default: this machine's). */
  cores?: number;
  /** An audio encode is split only into chunks at least this long (default 300 s). */
  audioChunkMinSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** The job's tracker, when a caller (the job handler) keeps one scale over download, pipeline and upload; else one made of onProgress. */
  progress?: ProgressTracker;
  /** Told the probed duration as soon as it is known (the control plane sizes the job's ceiling by it). */
  onProbed?: (info: MediaInfo) => void;
  log?: (line: string) => void;
  /** Told, just before the encode starts, what makes it playable (runtime/playable-publisher.ts). */
  onEncodeStart?: (shape: PlayableShape) => void;
}

/** What makes a job's encode playable: the media playlists that must each have begun, and the master to serve over them. */
export interface PlayableShape {
  /** Paths under the HLS folder (`720p/index.m3u8`, `audio/index.m3u8`) of the playlists this job encodes. */
  playlists: string[];
  /** The master, uploaded once every playlist has a segment up. */
  master: string;
  /** The item's length: what is playable, as far as this job goes, when it encodes no playlist (a split video's whole-file job for a silent video). */
  lengthSeconds: number;
}

export interface OutputFile {
  bucket: "media" | "archive";
  key: string;
  path: string;
}

export interface PipelineResult {
  output: JobOutput;
  files: OutputFile[];
  info: MediaInfo;
  timings: Record<string, number>;
}

/** What every step of one job shares: the job, what the probe found, where files go, the clocks. */
export interface StepContext {
  job: PipelineJob;
  info: MediaInfo;
  keys: ReturnType<typeof outputKeys>;
  /** A storage key's path under the job's outDir. */
  at: (key: string) => string;
  hlsDir: string;
  /** Flags for our own files; `source`, for the original (its demuxer forced). */
  base: string[];
  source: string[];
  opts: { signal?: AbortSignal; timeoutMs: number };
  timings: Record<string, number>;
  progress: ProgressTracker;
  /** Files to upload besides the HLS tree. */
  files: OutputFile[];
}

/** What the video or audio half measured and made; the keys follow from the media type (result.ts). */
export interface MediaParts {
  durationSeconds: number;
  width: number | null;
  height: number | null;
  readyVariants: JobOutput["readyVariants"];
  loudness: { integrated: number; truePeak: number; range: number } | null;
  encoder: JobOutput["encoder"];
  thumbnailSeconds: number | null;
  subtitles: JobOutput["subtitles"];
  /** The ladder's rungs as encoded (video), tallest first: what an MP4 download of each shows. */
  rungs?: { name: string; width: number; height: number }[];
  /** The subtitle renditions the master lists (written later, by the stitch, in a fan-out). */
  subtitleRenditions?: { uri: string; language: string | null; title: string | null }[];
}
