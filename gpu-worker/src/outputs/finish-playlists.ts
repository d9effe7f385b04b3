import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mediaPlaylist, playlistSegments } from "../../../src/contract/index.ts";

/**
 * Every media playlist FFmpeg wrote under `hlsDir` as EVENT (hls-args.ts: so that it could be
 * published while it grew) becomes the VOD playlist with EXT-X-ENDLIST that an item has at
 * `ready`: the same segments and EXTINF, written by the one writer both halves share
 * (src/contract/playlists.ts). Playlists that are not FFmpeg's EVENT ones (subtitles) are left.
 */
export async function finishPlaylists(hlsDir: string): Promise<void> {
  const entries = await readdir(hlsDir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith(".m3u8") || e.name === "master.m3u8") continue;
    const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const text = await readFile(path, "utf8");
    if (!text.includes("#EXT-X-PLAYLIST-TYPE:EVENT")) continue;
    const segments = playlistSegments(text);
    if (segments.length) await writeFile(path, mediaPlaylist(segments, "VOD"));
  }
}
