import type { JobOutput } from "../contract/index.ts";
import { AppError } from "./errors.ts";

/**
 * The one table of an item's stills and side files: the name a viewer's token serves it under
 * (`/play/<token>/<play>`), the name of the admin route (`/api/admin/media/:id/files/<admin>`),
 * and the output field (and row column) that holds its key.
 */
export const ITEM_FILES = [
  { play: "thumbnail.jpg", admin: "thumbnail", key: "thumbnailKey" },
  { play: "storyboard.jpg", admin: "storyboard", key: "storyboardKey" },
  { play: "storyboard.vtt", admin: "storyboard-vtt", key: "storyboardVttKey" },
  { play: "waveform.json", admin: "waveform", key: "waveformKey" },
  { play: "waveform.png", admin: "waveform-image", key: "waveformImageKey" },
] as const satisfies readonly { play: string; admin: string; key: keyof JobOutput }[];

export type ItemFileKey = (typeof ITEM_FILES)[number]["key"];
type Keys = { [K in ItemFileKey]?: string | null };

/**
 * Name → storage key for one item, under the viewer's or the admin's names. A Map, not an
 * object: a name such as `constructor` must not find a prototype member.
 */
export function namedFiles(keys: Keys, by: "play" | "admin"): Map<string, string | null> {
  return new Map(ITEM_FILES.map((f) => [f[by], keys[f.key] ?? null]));
}

/** The URL a viewer's token opens a file at (by its output field). */
export const playUrl = (base: string, key: ItemFileKey) => `${base}/${ITEM_FILES.find((f) => f.key === key)!.play}`;

/** No key of ours comes near this; S3 and R2 refuse keys over 1,024 bytes. */
const MAX_FILE_PATH = 512;

/** The decoded path under a file route: 400 for a malformed escape, a dot segment, an empty segment, a control byte or a path too long to be a file of ours. */
export function filePath(encoded: string): string {
  if (encoded.length > MAX_FILE_PATH * 3) throw new AppError(400, "INVALID_PATH", "The file path is too long");
  let rest: string;
  try {
    rest = decodeURIComponent(encoded);
  } catch {
    throw new AppError(400, "INVALID_PATH", "The file path has a malformed %-escape");
  }
  const bad = !rest || /[\u0000-\u001f\u007f\\]/.test(rest) || rest.split("/").some((p) => p === ".." || p === "." || p === "");
  if (bad) throw new AppError(400, "INVALID_PATH", "Bad file path");
  if (new TextEncoder().encode(rest).byteLength > MAX_FILE_PATH) throw new AppError(400, "INVALID_PATH", "The file path is too long");
  return rest;
}
