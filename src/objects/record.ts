import { lifecycleMachine, type LifecycleContext, type LifecycleState } from "../machine/index.ts";
import type { MediaItemRow } from "../../schema/index.ts";
import { errorFromRow, outputFromRow } from "./projection-row.ts";
import { getInitialSnapshot } from "xstate";

/** What an object persists: the machine's state and context, and the version of that state. */
export interface LifecycleRecord {
  value: LifecycleState;
  context: LifecycleContext;
  version: number;
}

/** The ids every log line about an item carries. */
export const idsOf = (rec: LifecycleRecord) => ({ mediaId: rec.context.mediaId, attemptId: rec.context.attemptId, jobId: rec.context.jobId });

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
    retriesUsed: row.transcodingAttempts,
    normalizeAudio: row.normalizeAudio,
    requestedThumbnailSeconds: row.requestedThumbnailSeconds,
    downloadsRequested: row.downloadsRequested,
    clip:
      row.clipSourceMediaId && row.clipSourceKey && row.clipStartSeconds !== null && row.clipEndSeconds !== null
        ? { sourceMediaId: row.clipSourceMediaId, sourceKey: row.clipSourceKey, startSeconds: row.clipStartSeconds, endSeconds: row.clipEndSeconds }
        : null,
  });
  const context: LifecycleContext = { ...initial.context, attemptId: row.attemptId, jobId: row.runpodJobId };
  let value: LifecycleState = row.status;
  if (row.status === "transcoding") {
    value = "failed";
    context.error = { code: "INTERNAL", message: "The control plane lost track of this job", retriable: true };
  } else if (row.status === "failed") {
    context.error = errorFromRow(row);
  } else if (row.status === "ready") {
    context.output = outputFromRow(row);
  }
  return { value, context, version: row.projectionVersion };
}
