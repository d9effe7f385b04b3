import type { ChunkTask } from "./fanout.ts";

/**
 * Media playlists as both halves write them: the worker's stitch (VOD) and its publisher of a
 * growing one-job encode (EVENT), and the item's object publishing a split video's chunks as
 * they land (EVENT). One writer, so a viewer who starts on the EVENT playlist reads the same
 * segments, durations and target duration in the VOD playlist that replaces it at `ready`.
 */
export interface PlaylistSegment {
  uri: string;
  duration: number;
}

/**
 * RFC 8216: an EVENT playlist only grows and has no EXT-X-ENDLIST until the item is done
 * (§4.3.3.5); players re-read it. VOD: complete, with EXT-X-ENDLIST. The target duration is
 * every EXTINF rounded to the nearest integer, at most it (§4.3.3.1); the segments are on one
 * grid, so a prefix of full segments gives the whole playlist's target.
 */
export function mediaPlaylist(segments: PlaylistSegment[], type: "EVENT" | "VOD"): string {
  if (segments.length === 0) throw new Error("a media playlist needs a segment");
  const target = Math.max(1, ...segments.map((s) => Math.round(s.duration)));
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    `#EXT-X-PLAYLIST-TYPE:${type}`,
    "#EXT-X-INDEPENDENT-SEGMENTS",
    ...segments.flatMap((s) => [`#EXTINF:${s.duration.toFixed(6)},`, s.uri]),
    ...(type === "VOD" ? ["#EXT-X-ENDLIST"] : []),
    "",
  ].join("\n");
}

/** The segments a media playlist lists, in order: a URI counts only after its complete EXTINF. */
export function playlistSegments(text: string): PlaylistSegment[] {
  const out: PlaylistSegment[] = [];
  let duration: number | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const inf = /^#EXTINF:([\d.]+),/.exec(line);
    if (inf) duration = Number(inf[1]);
    else if (line && !line.startsWith("#")) {
      if (duration !== null && duration > 0) out.push({ uri: line, duration });
      duration = null;
    }
  }
  return out;
}

/**
 * A split video's segments of its first `chunks` chunks, from the plan alone: every one a full
 * segment of `segmentFrames` frames (chunks are whole segments on the grid; only the last
 * chunk, never published this way, runs to the end), named as the chunk jobs name them.
 */
export function chunkPrefixSegments(task: Pick<ChunkTask, "chunks">, chunks: number): PlaylistSegment[] {
  const plan = task.chunks;
  const upTo = Math.min(chunks, plan.chunks.length - 1);
  if (upTo <= 0) return [];
  const count = plan.chunks[upTo]!.firstSegment;
  const duration = plan.segmentFrames / plan.fps;
  return Array.from({ length: count }, (_, n) => ({ uri: `seg_${String(n).padStart(5, "0")}.ts`, duration }));
}
