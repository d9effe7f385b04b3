import { Hono, type Context } from "hono";
import type { Config } from "../config.ts";
import { S3ObjectStore } from "../clients/object-store.ts";
import { AppError } from "../http/errors.ts";
import { passBytesHeaders, storedOrThrow } from "../http/stored-file.ts";
import { playbackSecret, verifyPlaybackToken } from "../http/playback-token.ts";
import type { AppEnv } from "../http/types.ts";
import { mediaObject } from "../objects/stubs.ts";
import type { PlaybackFiles } from "../objects/playback-files.ts";
import { filePath, namedFiles } from "../http/item-files.ts";
import { rewritePlaylist } from "./playlist-rewrite.ts";

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  ts: "video/mp2t",
  aac: "audio/aac",
  vtt: "text/vtt; charset=utf-8",
  jpg: "image/jpeg",
  png: "image/png",
  json: "application/json",
};
/** Segments and stills never change (the attempt is in the key): an edge may keep them for a year. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Playlists are the gate: cached briefly, and never past the token's life. */
const PLAYLIST_MAX_AGE_SECONDS = 10;
/**
 * A playable item's playlists grow while it encodes (EVENT): an edge may keep one for a second,
 * well under a segment, so a player re-reading it every target duration finds what landed since.
 */
const GROWING_PLAYLIST_MAX_AGE_SECONDS = 1;

/**
 * An MP4/M4A download of a ready item (`/play/:token/download/1080p.mp4`): saved as
 * `<original name>-<name>`, byte ranges passed through (a browser's `<video>` seeks in it; a
 * download manager resumes), cached like the segments (the attempt is in the key).
 */
async function download(c: Context<AppEnv>, config: Config, files: PlaybackFiles, name: string): Promise<Response> {
  const key = Object.hasOwn(files.downloads, name) ? files.downloads[name] : undefined;
  if (!key) throw new AppError(404, "NOT_FOUND", files.growing ? "Downloads come with ready" : "This item has no such download");
  const upstream = await storedOrThrow(await new S3ObjectStore(config.s3).get(key, c.req.header("range")));
  const saved = `${files.basename}-${name}`;
  const headers = new Headers({
    "content-type": name.endsWith(".m4a") ? "audio/mp4" : "video/mp4",
    "access-control-allow-origin": "*",
    // ASCII for every client, the UTF-8 name for those that read RFC 6266's filename*.
    "content-disposition": `attachment; filename="${saved.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(saved)}`,
    "accept-ranges": "bytes",
    "cache-control": IMMUTABLE,
  });
  passBytesHeaders(upstream, headers, ["content-length", "content-range", "etag", "last-modified"]);
  return new Response(upstream.body, { status: upstream.status, headers });
}

/**
 * Viewers' playback: `/play/:token/master.m3u8` and everything under it, the preview, and the
 * item's stills, served from the media bucket for a ready item's current attempt, or a playable
 * one's growing HLS folder. The token is
 * the only credential (players cannot send headers), so every playlist is rewritten to carry it.
 */
export const playRoutes = new Hono<AppEnv>().get("/:token/*", async (c) => {
  const config = c.get("config");
  const token = c.req.param("token");
  const grant = await verifyPlaybackToken(playbackSecret(config), token);
  if (!grant) throw new AppError(403, "FORBIDDEN", "The playback token is invalid or has expired");
  const prefix = `/play/${token}/`;
  const rest = filePath(c.req.path.slice(prefix.length));
  const files = (await mediaObject(c.env, grant.mediaId).playback(grant.mediaId)) as PlaybackFiles | null;
  if (!files) throw new AppError(404, "NOT_FOUND", "No such media item, or it is not playable");
  if (rest.startsWith("download/")) return download(c, config, files, rest.slice("download/".length));
  const named = namedFiles(files.keys, "play");
  const key = named.has(rest) ? named.get(rest) : `${files.hlsRoot}/${rest}`;
  if (!key) throw new AppError(404, "NOT_FOUND", "This item has no such file");

  const ext = rest.slice(rest.lastIndexOf(".") + 1).toLowerCase();
  const playlist = ext === "m3u8";
  const upstream = await storedOrThrow(await new S3ObjectStore(config.s3).get(key, playlist ? null : c.req.header("range")));
  const headers = new Headers({ "content-type": TYPES[ext] ?? upstream.headers.get("content-type") ?? "application/octet-stream", "access-control-allow-origin": "*" });
  if (playlist) {
    const text = rewritePlaylist(await upstream.text(), rest, prefix);
    const left = Math.max(0, Math.floor((grant.expiresAt - Date.now()) / 1000));
    headers.set("cache-control", `public, max-age=${Math.min(files.growing ? GROWING_PLAYLIST_MAX_AGE_SECONDS : PLAYLIST_MAX_AGE_SECONDS, left)}`);
    return new Response(text, { status: 200, headers });
  }
  passBytesHeaders(upstream, headers, ["content-length", "content-range", "etag", "last-modified"]);
  headers.set("accept-ranges", "bytes");
  headers.set("cache-control", IMMUTABLE);
  return new Response(upstream.body, { status: upstream.status, headers });
});
