import type { LifecycleContext, LifecycleState } from "../machine/index.ts";
import type { NewMediaItemRow } from "../../schema/index.ts";

export type ProjectionRow = Omit<NewMediaItemRow, "id" | "creatorId" | "mediaType" | "r2Key" | "originalFilename" | "originalSize" | "contentType">;

const x100 = (n: number | undefined) => (n === undefined ? null : Math.round(n * 100));
const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** The row that mirrors an object's state. Pure: the same state always gives the same row. A deleted item has none. */
export function projectionRow(state: Exclude<LifecycleState, "deleted">, c: LifecycleContext): ProjectionRow {
  const o = c.output;
  return {
    status: state,
    transcodingAttempts: c.attempts,
    attemptId: c.attemptId,
    runpodJobId: c.jobId,
    transcodingPhase: state === "transcoding" ? c.phase : null,
    transcodingPercent: state === "transcoding" || state === "ready" ? Math.round(c.percent) : null,
    transcodingError: c.error?.message ?? null,
    transcodingErrorCode: c.error?.code ?? null,
    transcodingStartedAt: date(c.startedAt),
    transcodingFinishedAt: date(c.finishedAt),
    hlsMasterPlaylistKey: o?.hlsMasterKey ?? null,
    hlsPreviewKey: o?.hlsPreviewKey ?? null,
    thumbnailKey: o?.thumbnailKey ?? null,
    waveformKey: o?.waveformKey ?? null,
    waveformImageKey: o?.waveformImageKey ?? null,
    mezzanineKey: o?.mezzanineKey ?? null,
    mezzanineStatus: o?.mezzanineKey ? "ready" : null,
    readyVariants: o?.readyVariants ?? [],
    loudnessIntegrated: x100(o?.loudness?.integrated),
    loudnessPeak: x100(o?.loudness?.truePeak),
    loudnessRange: x100(o?.loudness?.range),
    encoder: o?.encoder ?? null,
    // What the job measured supersedes what the upload service guessed; otherwise leave it be.
    ...(o ? { durationSeconds: o.durationSeconds, width: o.width, height: o.height } : {}),
  };
}
