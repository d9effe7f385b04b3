import { lifecycleMachine, type LifecycleContext, type LifecycleState } from "../machine/index.ts";
import type { MediaItemRow } from "../../schema/index.ts";
import { getInitialSnapshot } from "xstate";

/** What an object persists: the machine's state and context, and the version of that state. */
export interface LifecycleRecord {
  value: LifecycleState;
  context: LifecycleContext;
  version: number;
}

/** A pending write of the projection; only the newest version matters, so one is kept. */
export interface PendingProjection {
  version: number;
  failures: number;
  retryAt: number;
}

/**
 * The first record of an object, from the row the upload service wrote. Objects normally meet
 * their item in `uploading` or `uploaded`; a row further on means the object lost its storage,
 * and the row is the best account there is.
 */
export function recordFromRow(row: MediaItemRow): LifecycleRecord {
  const initial = getInitialSnapshot(lifecycleMachine, {
    mediaId: row.id,
    creatorId: row.creatorId,
    mediaType: row.mediaType,
    inputKey: row.r2Key,
    durationSeconds: row.durationSeconds,
    attempts: row.transcodingAttempts,
  });
  const context: LifecycleContext = { ...initial.context, attemptId: row.attemptId, jobId: row.runpodJobId };
  let value: LifecycleState = row.status;
  if (row.status === "transcoding") {
    value = "failed";
    context.error = { code: "INTERNAL", message: "The control plane lost track of this job", retriable: true };
  } else if (row.status === "failed") {
    context.error = { code: (row.transcodingErrorCode ?? "INTERNAL") as never, message: row.transcodingError ?? "", retriable: true };
  } else if (row.status === "ready" && row.hlsMasterPlaylistKey) {
    context.output = {
      mediaType: row.mediaType,
      hlsMasterKey: row.hlsMasterPlaylistKey,
      hlsPreviewKey: row.hlsPreviewKey,
      thumbnailKey: row.thumbnailKey,
      waveformKey: row.waveformKey,
      waveformImageKey: row.waveformImageKey,
      mezzanineKey: row.mezzanineKey,
      durationSeconds: row.durationSeconds ?? 0,
      width: row.width,
      height: row.height,
      readyVariants: row.readyVariants as never,
      loudness:
        row.loudnessIntegrated === null
          ? null
          : { integrated: row.loudnessIntegrated / 100, truePeak: (row.loudnessPeak ?? 0) / 100, range: (row.loudnessRange ?? 0) / 100 },
      encoder: (row.encoder ?? null) as never,
    };
  }
  return { value, context, version: row.projectionVersion };
}
