import { z } from "zod";
import { configFrom } from "../config.ts";
import type { Actor } from "../machine/index.ts";
import { readStatus } from "../objects/stubs.ts";
import { statusOrThrow } from "./command-answer.ts";
import { playUrl } from "./item-files.ts";
import { mintPlaybackToken } from "./playback-token.ts";

const MAX_PLAYBACK_SECONDS = 7 * 86_400;
export const playbackTokenBody = z.object({
  /** The token's life; an hour unless told (a minute to a week). */
  expiresInSeconds: z.number().int().min(60).max(MAX_PLAYBACK_SECONDS).default(3600),
  /** Who will watch (the Access Service's id for them): carried in the token, for its logs. */
  viewerId: z.string().min(1).max(128).regex(/^[\w.@:-]+$/).optional(),
}).meta({ example: { expiresInSeconds: 3600, viewerId: "viewer-7f3a" } });

/** A playback token and its URLs for an item the caller may read (the route's and the RPC method's answer). */
export async function playbackGrant(env: Env, actor: Actor, mediaId: string, body: z.infer<typeof playbackTokenBody>, origin: string) {
  const status = statusOrThrow(await readStatus(env, mediaId, actor));
  const { token, expiresAt } = await mintPlaybackToken(configFrom(env), mediaId, body.expiresInSeconds, body.viewerId ?? null);
  const base = `${origin}/play/${token}`;
  return {
    mediaId,
    status: status.status,
    token,
    expiresAt,
    urls: {
      hls: `${base}/master.m3u8`,
      preview: status.mediaType === "video" ? `${base}/preview/preview.m3u8` : null,
      thumbnail: playUrl(base, "thumbnailKey"),
      storyboard: status.mediaType === "video" ? playUrl(base, "storyboardVttKey") : null,
      waveform: status.mediaType === "audio" ? playUrl(base, "waveformKey") : null,
      /** Each download by name (a ready item's; none before): saved as an attachment, with byte ranges. */
      downloads: Object.fromEntries(status.downloads.map((d) => [d.name, `${base}/download/${d.name}`])),
    },
  };
}

