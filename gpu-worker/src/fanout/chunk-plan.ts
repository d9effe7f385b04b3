/**
 * How one video's ladder encode is cut into time chunks that separate workers encode at once.
 * Pure. A chunk is a whole number of HLS segments on the GOP grid of the output frame rate, so
 * its segments drop into each rung's playlist as they are: same names, same timestamps, no
 * discontinuity. Counted in output frames (the ladder is constant-rate), never in seconds, so
 * 29.97 fps does not drift.
 */
export interface ChunkSpan {
  index: number;
  /** First output frame of the chunk (frame 0 is the video's first). */
  startFrame: number;
  /** Frames the chunk encodes; null for the last chunk, which runs to the end of the video. */
  frames: number | null;
  /** Where the chunk starts on the video's clock: startFrame / fps. */
  startSeconds: number;
  /** The number of the chunk's first segment in every rung (seg_%05d). */
  firstSegment: number;
  /** Where FFmpeg seeks in the original: before a keyframe at or before the start (keyframes.ts); 0 until known. */
  seekSeconds: number;
  /** The bytes of an MP4/MOV original the chunk reads (byte-ranges.ts); absent: the whole file. */
  bytes?: { start: number; end: number }[];
}

export interface ChunkPlan {
  fps: number;
  /** The video's first frame on the output clock, in ticks of 1/fps (a stream that starts after the file's start). */
  firstTick: number;
  /** Frames per HLS segment: whole GOPs, as the HLS muxer cuts them (first keyframe at or past segmentSeconds). */
  segmentFrames: number;
  chunks: ChunkSpan[];
}

export interface ChunkRequest {
  durationSeconds: number;
  fps: number;
  /** Frames per GOP (the plan's 2 s). */
  gop: number;
  segmentSeconds: number;
  /** Either a chunk length (rounded to whole segments, at least one)… */
  chunkSeconds?: number;
  /** …or a number of chunks (the segments shared out evenly, the last may be shorter). */
  chunks?: number;
  /** Where the video stream starts after the file's start, in seconds (probe's startSeconds). */
  videoStartSeconds?: number;
}

export function segmentFrames(fps: number, gop: number, segmentSeconds: number): number {
  // The muxer cuts at the first keyframe at or past the target: GOPs of 2.002 s (29.97 fps) make
  // 6.006 s segments of 3 GOPs; the 1e-9 keeps an exact 3.0 from becoming 4.
  return gop * Math.max(1, Math.ceil((segmentSeconds * fps) / gop - 1e-9));
}

export function planChunks(r: ChunkRequest): ChunkPlan {
  if (!(r.fps > 0) || !(r.durationSeconds > 0)) throw new Error("planChunks needs a positive frame rate and duration");
  const perSegment = segmentFrames(r.fps, r.gop, r.segmentSeconds);
  const totalFrames = Math.max(1, Math.round(r.durationSeconds * r.fps));
  const totalSegments = Math.ceil(totalFrames / perSegment);
  const segmentsPerChunk = r.chunks
    ? Math.max(1, Math.ceil(totalSegments / Math.max(1, Math.floor(r.chunks))))
    : Math.max(1, Math.round(((r.chunkSeconds ?? totalSegments * r.segmentSeconds) * r.fps) / perSegment));
  const count = Math.ceil(totalSegments / segmentsPerChunk);
  const chunks: ChunkSpan[] = [];
  for (let index = 0; index < count; index++) {
    const startFrame = index * segmentsPerChunk * perSegment;
    chunks.push({
      index,
      startFrame,
      frames: index === count - 1 ? null : segmentsPerChunk * perSegment,
      startSeconds: startFrame / r.fps,
      firstSegment: index * segmentsPerChunk,
      seekSeconds: 0,
    });
  }
  // FFmpeg's fps filter rounds the first frame's time to the nearest tick.
  return { fps: r.fps, firstTick: Math.round((r.videoStartSeconds ?? 0) * r.fps), segmentFrames: perSegment, chunks };
}
