import { outputKeys } from "../contract/index.ts";
import { ITEM_FILES, type ItemFileKey } from "../http/item-files.ts";
import type { LifecycleRecord } from "./record.ts";

/** What a viewer's token opens: the attempt's HLS folder and the keys of the files beside it (null where the item has none). */
export interface PlaybackFiles {
  hlsRoot: string;
  keys: Record<ItemFileKey, string | null>;
}

/** What a viewer's token opens of this item: a ready item's current attempt, else nothing. */
export function playbackOf(rec: LifecycleRecord | null | undefined): PlaybackFiles | null {
  const output = rec?.value === "ready" ? rec.context.output : null;
  if (!rec || !output || !rec.context.attemptId) return null;
  const { creatorId, mediaId, attemptId } = rec.context;
  const keys = Object.fromEntries(ITEM_FILES.map((f) => [f.key, output[f.key] ?? null])) as PlaybackFiles["keys"];
  return { hlsRoot: outputKeys({ creatorId, mediaId, attemptId }).hlsRoot, keys };
}
