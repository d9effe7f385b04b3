import { mediaPlaylist } from "../../../src/contract/index.ts";
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A segment a chunk wrote: the name the HLS muxer gave it (seg_%05d.ts) and its EXTINF. */
export interface ChunkSegment {
  uri: string;
  duration: number;
  /** Its size, as the chunk measured it: the master's bitrates come from these when the files are elsewhere. */
  bytes?: number;
}

const SEGMENT = /^seg_(\d{5})\.ts$/;

/** The segments of one chunk's media playlist, in order; anything but our own muxer's names is refused. */
export function chunkSegments(playlist: string): ChunkSegment[] {
  const out: ChunkSegment[] = [];
  let duration: number | null = null;
  for (const raw of playlist.split("\n")) {
    const line = raw.trim();
    const inf = /^#EXTINF:([\d.]+),?/.exec(line);
    if (inf) duration = Number(inf[1]);
    else if (line && !line.startsWith("#")) {
      if (!SEGMENT.test(line) || duration === null || !(duration > 0)) throw new Error(`not a chunk segment: ${JSON.stringify(line)}`);
      out.push({ uri: line, duration });
      duration = null;
    }
  }
  return out;
}

/**
 * One rung's VOD playlist from its chunks' segments, end to end. The chunks were cut on the GOP
 * grid with timestamps on one clock (fanout/chunk-args.ts), so no discontinuity tag: a player
 * sees the playlist a one-job encode writes. Refuses a gap or a repeat in the numbering.
 */
export function joinPlaylists(chunks: ChunkSegment[][]): string {
  const all = chunks.flat();
  if (all.length === 0) throw new Error("no segments to join");
  all.forEach((s, i) => {
    const n = Number(SEGMENT.exec(s.uri)![1]);
    if (n !== i) throw new Error(`segment ${s.uri} where seg_${String(i).padStart(5, "0")}.ts belongs`);
  });
  // The one writer of media playlists (the item's object publishes the same prefix as EVENT while chunks land).
  return mediaPlaylist(all, "VOD");
}

/**
 * Every rung of the item from its chunks, in chunk order: each chunk's segments, as the chunk
 * reported them, move from its tree (`dir/<rung>/`) to `<hlsDir>/<rung>/` under the names they
 * already have, and the rung's playlist is written from those lists.
 */
export async function stitchRungs(hlsDir: string, rungs: string[], chunks: { dir: string | null; segments: Record<string, ChunkSegment[]> }[]): Promise<void> {
  for (const rung of rungs) {
    const lists = chunks.map((c) => c.segments[rung] ?? []);
    const playlist = joinPlaylists(lists);
    await mkdir(join(hlsDir, rung), { recursive: true });
    for (const [i, c] of chunks.entries()) {
      // No folder: the segments are already where they belong (a chunk job uploaded them under their keys).
      if (c.dir !== null) for (const s of lists[i]!) await rename(join(c.dir, rung, s.uri), join(hlsDir, rung, s.uri));
    }
    await writeFile(join(hlsDir, rung, "index.m3u8"), playlist);
  }
}

/** The tiles every chunk wrote into one folder are the sheet's tiles, numbered 1…n with no gap. */
export async function tileCount(tilesDir: string): Promise<number> {
  const names = (await readdir(tilesDir)).filter((f) => /^tile_\d{4}\.png$/.test(f)).sort();
  names.forEach((name, i) => {
    if (name !== `tile_${String(i + 1).padStart(4, "0")}.png`) throw new Error(`storyboard tile ${name} where tile ${i + 1} belongs`);
  });
  return names.length;
}
