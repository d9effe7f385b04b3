import { z } from "zod";
import { RENDITION_NAMES } from "./renditions.ts";
import type { KeyScope } from "./keys.ts";

/**
 * MP4 downloads (Mux's static renditions, Cloudflare Stream's downloads): files remuxed from the
 * HLS segments already encoded, never a second encode. `mp4`: none, the highest rung, or every
 * rung; `audio`: an audio-only M4A of the main track.
 */
export const downloadsRequest = z.object({
  mp4: z.enum(["none", "highest", "all"]).default("none").meta({ description: "MP4 files of the picture with its main sound: none, the highest rung, or every rung" }),
  audio: z.boolean().default(false).meta({ description: "An audio-only M4A of the main track (for an audio item: its only download)" }),
});
export type DownloadsRequest = z.infer<typeof downloadsRequest>;
export const NO_DOWNLOADS: DownloadsRequest = { mp4: "none", audio: false };
export const wantsDownloads = (r: DownloadsRequest | null | undefined) => !!r && (r.mp4 !== "none" || r.audio);

/** The names a download may have: a rung's MP4, or the sound's M4A. Nothing else is ever a key. */
export const DOWNLOAD_NAMES = ["1080p.mp4", "720p.mp4", "480p.mp4", "360p.mp4", "audio.m4a"] as const satisfies readonly (`${(typeof RENDITION_NAMES)[number]}.mp4` | "audio.m4a")[];
export const downloadName = z.enum(DOWNLOAD_NAMES);
export type DownloadName = z.infer<typeof downloadName>;

/** One file made: where it is, its size, and what it shows. */
export const download = z.object({
  name: downloadName,
  key: z.string().min(1).max(500),
  bytes: z.number().int().nonnegative(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
});
export type Download = z.infer<typeof download>;

/** The attempt's downloads folder (in the media bucket); every download is one name directly in it. */
export function downloadsRoot({ creatorId, mediaId, attemptId }: KeyScope): string {
  return `${creatorId}/downloads/${mediaId}/${attemptId}`;
}
export const downloadKey = (scope: KeyScope, name: DownloadName) => `${downloadsRoot(scope)}/${name}`;

/**
 * Which files a request asks of an item: the rungs it has (`readyVariants`, highest first) and
 * whether it has sound. An audio item has no picture: its MP4 request gives nothing, its M4A does.
 */
export function downloadsFor(request: DownloadsRequest, rungs: readonly string[], hasAudio: boolean): DownloadName[] {
  const video = rungs.filter((r): r is (typeof RENDITION_NAMES)[number] => (RENDITION_NAMES as readonly string[]).includes(r));
  const mp4 = request.mp4 === "all" ? video : request.mp4 === "highest" ? video.slice(0, 1) : [];
  return [...mp4.map((r) => `${r}.mp4` as DownloadName), ...(request.audio && hasAudio ? (["audio.m4a"] as const) : [])];
}
