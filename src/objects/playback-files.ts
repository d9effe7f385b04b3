import { outputKeys } from "../contract/index.ts";
import { ITEM_FILES, type ItemFileKey } from "../http/item-files.ts";
import type { LifecycleRecord } from "./record.ts";

/** What a viewer's token opens: the attempt's HLS folder and the keys of the files beside it (null where the item has none). */
export interface PlaybackFiles {
  hlsRoot: string;
  keys: Record<ItemFileKey, string | null>;
  /** Playable but not ready: its media playlists still grow (EVENT), so they are cached for less than a segment. */
  growing: boolean;
  /** A ready item's downloads by name (none while it grows), and the original's name without its extension, for the saved files. */
  downloads: Record<string, string>;
  basename: string;
}

/**
 * What a viewer's token opens of this item: a ready item's current attempt; while it transcodes,
 * the attempt's HLS folder once playable (its stills come with `ready`); else nothing. A failed
 * item opens nothing, whatever it had published.
 */
export function playbackOf(rec: LifecycleRecord | null | undefined): PlaybackFiles | null {
  if (!rec?.context.attemptId) return null;
  const { creatorId, mediaId, attemptId, output, playableAt } = rec.context;
  const hlsRoot = outputKeys({ creatorId, mediaId, attemptId }).hlsRoot;
  const file = rec.context.inputKey.slice(rec.context.inputKey.lastIndexOf("/") + 1);
  const basename = file.includes(".") ? file.slice(0, file.lastIndexOf(".")) || file : file;
  if (rec.value === "ready" && output) {
    const keys = Object.fromEntries(ITEM_FILES.map((f) => [f.key, output[f.key] ?? null])) as PlaybackFiles["keys"];
    return { hlsRoot, keys, growing: false, downloads: Object.fromEntries((output.downloads ?? []).map((d) => [d.name, d.key])), basename };
  }
  if (rec.value === "transcoding" && playableAt != null) {
    return { hlsRoot, keys: Object.fromEntries(ITEM_FILES.map((f) => [f.key, null])) as PlaybackFiles["keys"], growing: true, downloads: {}, basename };
  }
  return null;
}
