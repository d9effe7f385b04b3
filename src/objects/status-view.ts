import { MAX_RETRIES, type LifecycleContext, type LifecycleState } from "../machine/index.ts";
import { playableOf, splitSeconds } from "./projection-row.ts";

/** A URL's origin only: its path and query may carry a signed URL's secret. */
const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** What `GET /transcoding-status` and the RPC method answer about one item. */
export function statusView(state: LifecycleState, c: LifecycleContext, version: number) {
  const o = c.output;
  const playable = playableOf(state, c);
  return {
    mediaId: c.mediaId,
    mediaType: c.mediaType,
    status: state,
    phase: state === "transcoding" ? c.phase : null,
    percent: state === "ready" ? 100 : c.percent,
    /** Registration's choice: false keeps the upload's loudness (still measured: `loudness`). */
    normalizeAudio: c.normalizeAudio ?? true,
    /** Registration's poster frame (null: 10 %); `output.thumbnailSeconds` is the frame shown. */
    requestedThumbnailSeconds: c.requestedThumbnailSeconds ?? null,
    retriesUsed: c.retriesUsed,
    retriesLeft: Math.max(0, MAX_RETRIES - c.retriesUsed),
    attemptId: c.attemptId,
    jobId: c.jobId,
    error: c.error ? { code: c.error.code, message: c.error.message } : null,
    output: o
      ? {
          hlsMasterKey: o.hlsMasterKey,
          hlsPreviewKey: o.hlsPreviewKey,
          thumbnailKey: o.thumbnailKey,
          waveformKey: o.waveformKey,
          waveformImageKey: o.waveformImageKey,
          mezzanineKey: o.mezzanineKey,
          storyboardKey: o.storyboardKey,
          storyboardVttKey: o.storyboardVttKey,
          thumbnailSeconds: o.thumbnailSeconds,
          subtitles: o.subtitles,
          durationSeconds: o.durationSeconds,
          width: o.width,
          height: o.height,
          encoder: o.encoder,
        }
      : null,
    readyVariants: o?.readyVariants ?? [],
    /** The original copied from a URL: how far (bytes of total, when the URL said), done, or why it failed; null: uploaded by a client. */
    ingest: c.ingest
      ? { status: c.ingest.status, origin: originOf(c.ingest.url), bytes: c.ingest.bytes, totalBytes: c.ingest.totalBytes, error: c.ingest.error ? { code: c.ingest.error.code, message: c.ingest.error.message } : null }
      : null,
    /** A ready item's touch-up (a new poster frame, downloads): running, or the last one that failed and why; null: none. */
    touchUp: c.touchUp
      ? { id: c.touchUp.id, status: c.touchUp.status, request: c.touchUp.request, requestedAt: new Date(c.touchUp.requestedAt).toISOString(), error: c.touchUp.error ? { code: c.touchUp.error.code, message: c.touchUp.error.message } : null }
      : null,
    /** A clip: the item it was cut from and the range (seconds); null for an upload. */
    clip: c.clip ? { sourceMediaId: c.clip.sourceMediaId, startSeconds: c.clip.startSeconds, endSeconds: c.clip.endSeconds } : null,
    /** Registration's downloads (null: none) and the files made, each served at /play/{token}/download/{name}. */
    downloadsRequested: c.downloadsRequested ?? null,
    downloads: (o?.downloads ?? []).map((d) => ({ name: d.name, bytes: d.bytes, width: d.width, height: d.height })),
    loudness: o?.loudness ?? null,
    startedAt: c.startedAt === null ? null : new Date(c.startedAt).toISOString(),
    finishedAt: c.finishedAt === null ? null : new Date(c.finishedAt).toISOString(),
    deadlineAt: c.deadlineAt === null ? null : new Date(c.deadlineAt).toISOString(),
    /** When the job last showed a sign of life (progress, or RunPod seen holding it queued). */
    lastActivityAt: c.lastActivityAt == null ? null : new Date(c.lastActivityAt).toISOString(),
    hardDeadlineAt: c.hardDeadlineAt == null ? null : new Date(c.hardDeadlineAt).toISOString(),
    /** RunPod's answer to /run was lost; the job's first callback will confirm it. */
    dispatchUnconfirmed: c.dispatchUnconfirmed ?? false,
    /**
     * When the attempt became playable (a viewer's token plays it while it still encodes), and how
     * many seconds from the start are playable now; null/0 until then. A failed item is not.
     */
    playableAt: playable.at === null ? null : new Date(playable.at).toISOString(),
    playableSeconds: playable.seconds,
    /** A video split across workers: its chunks, how many are in, and each one's encode seconds (null: not yet). Null for one job. */
    chunks: c.fanout
      ? { count: c.fanout.state.chunks.length, done: c.fanout.state.chunks.filter((x) => x.status === "done").length, encodeSeconds: splitSeconds(c)!, stitching: c.fanout.stitching }
      : null,
    version,
  };
}
export type StatusView = ReturnType<typeof statusView>;
