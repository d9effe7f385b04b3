import { readFile, writeFile } from "node:fs/promises";
import { mediaPlaylist, playlistSegments } from "../../../src/contract/index.ts";
import { hlsFiles } from "../pipeline.ts";

/**
 * Every media playlist FFmpeg wrote under `hlsDir` as EVENT (hls-args.ts: so that it could be
 * published while it grew) becomes the VOD playlist with EXT-X-ENDLIST that an item has at
 * `ready`: the same segments and EXTINF, written by the one writer both halves share
 * (src/contract/playlists.ts). Playlists that are not FFmpeg's EVENT ones (subtitles) are left.
 */
export async function finishPlaylists(hlsDir: string): Promise<void> {
  for (const { path } of await hlsFiles(hlsDir, "")) {
    if (!path.endsWith(".m3u8") || path.endsWith("/master.m3u8")) continue;
    const text = await readFile(path, "utf8");
    if (!text.includes("#EXT-X-PLAYLIST-TYPE:EVENT")) continue;
    const segments = playlistSegments(text);
    if (segments.length) await writeFile(path, mediaPlaylist(segments, "VOD"));
  }
}
