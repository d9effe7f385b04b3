import { outputKeys, type JobOutput } from "../contract/index.ts";
import type { LifecycleRecord } from "./record.ts";

/** What a viewer's token opens: the attempt's HLS folder and the stills beside it (null where the item has none). */
export interface PlaybackFiles {
  hlsRoot: string;
  named: Record<"thumbnail.jpg" | "storyboard.jpg" | "storyboard.vtt" | "waveform.json" | "waveform.png", string | null>;
}

export function playbackFiles(o: JobOutput, hlsRoot: string): PlaybackFiles {
  return {
    hlsRoot,
    named: {
      "thumbnail.jpg": o.thumbnailKey,
      "storyboard.jpg": o.storyboardKey ?? null,
      "storyboard.vtt": o.storyboardVttKey ?? null,
      "waveform.json": o.waveformKey,
      "waveform.png": o.waveformImageKey,
    },
  };
}

/** What a viewer's token opens of this item: a ready item's current attempt, else nothing. */
export function playbackOf(rec: LifecycleRecord | null | undefined): PlaybackFiles | null {
  if (!rec || rec.value !== "ready" || !rec.context.output || !rec.context.attemptId) return null;
  const { creatorId, mediaId, attemptId } = rec.context;
  return playbackFiles(rec.context.output, outputKeys({ creatorId, mediaId, attemptId }).hlsRoot);
}
