import { join } from "node:path";
import { outputKeys } from "../../../src/contract/index.ts";
import type { PipelineJob } from "../pipeline/types.ts";
import type { CallbackSender } from "./callback-sender.ts";
import type { OutputUploader } from "./output-uploader.ts";
import { PlayablePublisher } from "./playable-publisher.ts";
import type { S3Store } from "./s3-store.ts";

/**
 * Runs an encode (`fn`) with its segments uploaded as FFmpeg closes them and its playlists
 * published as they grow (./playable-publisher.ts), the control plane told how much is
 * playable. Both have stopped when this resolves, so the VOD playlists uploaded next are the
 * last word under their keys.
 */
export async function whilePublishing<T>(
  a: { job: PipelineJob; uploader: OutputUploader; media: S3Store; sender: CallbackSender; signal?: AbortSignal; log: (event: string, fields?: Record<string, unknown>) => void },
  fn: () => Promise<T>,
): Promise<T> {
  const { hlsRoot } = outputKeys(a.job);
  const publisher = new PlayablePublisher(join(a.job.outDir, hlsRoot), hlsRoot, {
    put: (key, text) => a.media.putText(key, text, a.signal),
    uploaded: (key) => a.uploader.uploaded(key),
    onPlayable: (seconds) => {
      a.log("job.playable", { seconds });
      a.sender.setPlayable(seconds);
    },
    log: a.log,
  });
  const told = a.job.onEncodeStart;
  a.job.onEncodeStart = (shape) => {
    told?.(shape);
    publisher.expect(shape);
  };
  // Every half second: a segment is up and listed within about that of FFmpeg closing it.
  const stop = a.uploader.watch(join(a.job.outDir, hlsRoot), hlsRoot, 500, () => publisher.publish());
  try {
    return await fn();
  } finally {
    await stop();
    a.job.onEncodeStart = told;
  }
}
