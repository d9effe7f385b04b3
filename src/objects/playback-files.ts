import type { JobOutput } from "../contract/index.ts";

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
