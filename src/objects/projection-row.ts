import { errorCode, jobOutput, type JobOutput } from "../contract/index.ts";
import type { KeptError, LifecycleContext, LifecycleState } from "../machine/index.ts";
import type { MediaItemRow, NewMediaItemRow } from "../../schema/index.ts";

/**
 * The one mapping between an item's lifecycle (the Durable Object's context) and its row in
 * `media_items`, both ways. A new output field is added here, in the contract and in the schema.
 */

/** The columns the projection writes: everything but what the upload service owns. */
export type ProjectionRow = Omit<
  NewMediaItemRow,
  "id" | "creatorId" | "mediaType" | "r2Key" | "originalFilename" | "originalSize" | "contentType" | "normalizeAudio" | "clipSourceMediaId" | "clipSourceKey" | "clipStartSeconds" | "clipEndSeconds"
>;

/** Loudness is stored ×100 as integers (LUFS, dBTP, LU), exact to a hundredth. */
const LOUDNESS_SCALE = 100;
const toHundredths = (n: number | undefined) => (n === undefined ? null : Math.round(n * LOUDNESS_SCALE));
const fromHundredths = (n: number | null) => (n === null ? 0 : n / LOUDNESS_SCALE);
const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** The row that mirrors an object's state. Pure: the same state always gives the same row. A deleted item has none. */
export function projectionRow(state: Exclude<LifecycleState, "deleted">, c: LifecycleContext): ProjectionRow {
  const o = c.output;
  const playable = playableOf(state, c);
  return {
    status: state,
    transcodingAttempts: c.retriesUsed,
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
    thumbnailSeconds: o?.thumbnailSeconds ?? null,
    storyboardKey: o?.storyboardKey ?? null,
    storyboardVttKey: o?.storyboardVttKey ?? null,
    waveformKey: o?.waveformKey ?? null,
    waveformImageKey: o?.waveformImageKey ?? null,
    mezzanineKey: o?.mezzanineKey ?? null,
    mezzanineStatus: o?.mezzanineKey ? "ready" : null,
    readyVariants: o?.readyVariants ?? [],
    subtitles: o?.subtitles ?? [],
    downloads: o?.downloads ?? [],
    // Registration's choices, as a touch-up may since have changed them.
    requestedThumbnailSeconds: c.requestedThumbnailSeconds ?? null,
    downloadsRequested: c.downloadsRequested ?? null,
    loudnessIntegrated: toHundredths(o?.loudness?.integrated),
    loudnessPeak: toHundredths(o?.loudness?.truePeak),
    loudnessRange: toHundredths(o?.loudness?.range),
    encoder: o?.encoder ?? null,
    chunkEncodeSeconds: splitSeconds(c),
    playableAt: date(playable.at),
    playableSeconds: playable.at === null ? null : playable.seconds,
    // What the job measured supersedes what the upload service guessed; otherwise leave it be.
    ...(o ? { durationSeconds: o.durationSeconds, width: o.width, height: o.height } : {}),
  };
}

/** Whether and how far the item plays, as the status and the row say it: a failed item does not, whatever its attempt published. */
export function playableOf(state: LifecycleState, c: LifecycleContext): { at: number | null; seconds: number } {
  return state === "failed" || c.playableAt == null ? { at: null, seconds: 0 } : { at: c.playableAt, seconds: c.playableSeconds ?? 0 };
}

/** A split video's encode seconds per chunk (null until that chunk is in); null for one job. */
export const splitSeconds = (c: LifecycleContext): (number | null)[] | null => c.fanout?.state.chunks.map((x) => (x.encodeSeconds === null ? null : Math.round(x.encodeSeconds * 10) / 10)) ?? null;

/** The job's output as the row keeps it; null when the row has none (or one that no longer parses). */
export function outputFromRow(row: MediaItemRow): JobOutput | null {
  if (!row.hlsMasterPlaylistKey) return null;
  const parsed = jobOutput.safeParse({
    mediaType: row.mediaType,
    hlsMasterKey: row.hlsMasterPlaylistKey,
    hlsPreviewKey: row.hlsPreviewKey,
    thumbnailKey: row.thumbnailKey,
    thumbnailSeconds: row.thumbnailSeconds,
    storyboardKey: row.storyboardKey,
    storyboardVttKey: row.storyboardVttKey,
    waveformKey: row.waveformKey,
    waveformImageKey: row.waveformImageKey,
    mezzanineKey: row.mezzanineKey,
    durationSeconds: row.durationSeconds ?? 0,
    width: row.width,
    height: row.height,
    readyVariants: row.readyVariants,
    subtitles: row.subtitles,
    downloads: row.downloads,
    loudness:
      row.loudnessIntegrated === null
        ? null
        : { integrated: fromHundredths(row.loudnessIntegrated), truePeak: fromHundredths(row.loudnessPeak), range: fromHundredths(row.loudnessRange) },
    encoder: row.encoder,
  });
  return parsed.success ? parsed.data : null;
}

/** The error a failed row keeps; a code the contract does not know reads as INTERNAL. */
export function errorFromRow(row: MediaItemRow): KeptError {
  const known = row.transcodingErrorCode === "DISPATCH_FAILED" ? "DISPATCH_FAILED" : errorCode.safeParse(row.transcodingErrorCode).data;
  return { code: known ?? "INTERNAL", message: row.transcodingError ?? "", retriable: true };
}
