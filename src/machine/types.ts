import type { ClipSource, DownloadsRequest, FanoutTask, JobError, JobOutput, JobResult, MediaType, Phase } from "../contract/index.ts";
import type { FanoutPolicy, FanoutState } from "./fanout.ts";
import type { TouchUpState, TouchUpStep } from "./touch-up.ts";
import type { IngestState, IngestStep } from "./ingest.ts";

export type LifecycleState = "uploading" | "uploaded" | "transcoding" | "ready" | "failed" | "deleted";

/** Who asks. A service token acts for the upload service; admins may act on any item. */
export type Actor = { kind: "user"; userId: string; role: "creator" | "admin" } | { kind: "service" };

/** An error kept on the item: a job's error, or one of the control plane's own (dispatch). */
export interface KeptError {
  code: JobError["code"] | "DISPATCH_FAILED";
  message: string;
  retriable: boolean;
}

export interface LifecycleContext {
  mediaId: string;
  creatorId: string;
  mediaType: MediaType;
  inputKey: string;
  durationSeconds: number | null;
  /** Registration's choice: false keeps the upload's loudness (each job is told). Absent in records stored before it existed: true. */
  normalizeAudio?: boolean;
  /** A clip's source and range (the job cuts its original from the source's); null or absent: an upload. */
  clip?: ClipSource | null;
  /** Registration's MP4/M4A downloads; null or absent: none. */
  downloadsRequested?: DownloadsRequest | null;
  /** Registration's poster frame, seconds from the start; null or absent: 10 % of the video. */
  requestedThumbnailSeconds?: number | null;
  /** Retries spent: 0 or 1. A failure does not count; a retry does. */
  retriesUsed: number;
  attemptId: string | null;
  jobId: string | null;
  /** Where a failed dispatch returns to, so that it spends nothing. */
  dispatchedFrom: "uploaded" | "failed" | null;
  phase: Phase | null;
  percent: number;
  error: KeptError | null;
  output: JobOutput | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** When the stuck-job alarm must next look at the job (RunPod's /status); null outside `transcoding`. */
  deadlineAt: number | null;
  /** The job's last sign of life: a progress callback, or RunPod seen holding it in its queue. */
  lastActivityAt: number | null;
  /** The hard ceiling, known once the worker reports the probed duration; null until then. */
  hardDeadlineAt: number | null;
  /** RunPod's answer to /run was lost (timeout): the job may exist; its first callback will tell. */
  dispatchUnconfirmed: boolean;
  /** Jobs of attempts this item no longer wants that were cancelled at RunPod (bounded). */
  cancelledJobIds: string[];
  /** Callback event ids already applied, newest last (bounded). */
  seenEventIds: string[];
  /**
   * When the attempt's encode became playable (README "Playable while it transcodes"): every
   * playlist of the master begun, served as EVENT playlists. Null until then; set at `ready` at
   * the latest. Absent in records stored before it existed.
   */
  playableAt?: number | null;
  /** Seconds from the start a viewer can play now (the item's length once ready). */
  playableSeconds?: number;
  /** A copy of the original from a URL (./ingest.ts), while `uploading`: running, failed or done; null or absent: none. */
  ingest?: IngestState | null;
  /** A ready item's touch-up (./touch-up.ts): running, or the last one that failed; null or absent: none. */
  touchUp?: TouchUpState | null;
  /** A video split across workers (./split.ts): the plan, its chunks' jobs, and whether the stitch runs. Null: one job. */
  fanout?: Split | null;
}

export interface Split {
  task: FanoutTask;
  state: FanoutState;
  /** Every chunk and the whole-file work are in: the stitch job is the attempt's job now. */
  stitching: boolean;
}

/** What a chunk job's try reported, or what its dispatch came to. */
export type ChunkReport =
  | { kind: "dispatched"; jobId: string }
  | { kind: "progress"; percent: number; jobId: string | null }
  | { kind: "completed"; encodeSeconds: number; jobId: string | null }
  | { kind: "failed"; error: JobError; jobId: string | null };

/** What a new item's machine starts from: the upload service's facts and the retries already spent. */
export type LifecycleInput = Pick<LifecycleContext, "mediaId" | "creatorId" | "mediaType" | "inputKey" | "durationSeconds" | "retriesUsed" | "normalizeAudio" | "requestedThumbnailSeconds" | "downloadsRequested" | "clip">;

/** RunPod's view of a job at reconciliation time, gathered by the object before the event. */
export interface RunpodView {
  status: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT" | "NOT_FOUND" | "UNREACHABLE";
  /** The handler's result when RunPod holds one that parses. */
  result: JobResult | null;
  detail: string | null;
}

/** The creator's limits as their counter answered for this attempt (gathered before the event). */
export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number; message: string };

/** What the stuck-job check needs to know of the configuration, carried by the event (the machine reads no config). */
export interface StuckJobPolicy {
  stallMs: number;
  queueCeilingMs: number;
}

export type LifecycleEvent =
  /** `rejected`: why the uploaded bytes were refused at completion (size against the declared, first bytes against the type). */
  | { type: "UPLOAD_COMPLETE"; actor: Actor; objectExists: boolean; rejected?: string | null }
  | { type: "TRIGGER"; actor: Actor; inputExists: boolean; admission: Admission; attemptId: string; at: number; deadlineAt: number }
  | { type: "RETRY"; actor: Actor; inputExists: boolean; admission: Admission; attemptId: string; at: number; deadlineAt: number }
  | { type: "DISPATCHED"; attemptId: string; jobId: string }
  | { type: "DISPATCH_FAILED"; attemptId: string; message: string }
  /** /run was sent but its answer never came: RunPod may or may not hold the job. */
  | { type: "DISPATCH_UNCONFIRMED"; attemptId: string; message: string }
  | {
      type: "PROGRESS";
      attemptId: string;
      eventId: string;
      jobId: string | null;
      phase: Phase;
      percent: number;
      at: number;
      /** Computed by the object from the duration the worker probed, when this callback reports one. */
      hardDeadlineAt: number | null;
      /** Seconds the job has published (one job: every playlist; a split's whole-file job: its sound). */
      playableSeconds?: number;
    }
  | { type: "COMPLETED"; attemptId: string; eventId: string; jobId: string | null; output: JobOutput; at: number }
  | { type: "FAILED"; attemptId: string; eventId: string; jobId: string | null; error: JobError; at: number }
  | { type: "TIMEOUT"; at: number; runpod: RunpodView; policy: StuckJobPolicy }
  /** The first job split the video (its `planned` callback); the policy is the control plane's. */
  | { type: "PLANNED"; attemptId: string; eventId: string; jobId: string | null; task: FanoutTask; policy: FanoutPolicy; at: number; hardDeadlineAt: number | null }
  /** A chunk job's callback, or its dispatch's outcome (no event id). */
  | { type: "CHUNK"; attemptId: string; eventId: string | null; index: number; try: number; report: ChunkReport; at: number }
  /** The object wrote a split video's rung playlists over its first `chunks` chunks (its publish effect's outcome). */
  | { type: "PUBLISHED"; attemptId: string; chunks: number; at: number }
  /** The first job's whole-file work of a split video is in. */
  | { type: "REST_COMPLETED"; attemptId: string; eventId: string; jobId: string | null; at: number }
  /** A ready item's touch-up: asked for (a command: `actor`), or its job's word, or the alarm's look (./touch-up.ts). */
  | { type: "TOUCH_UP"; actor?: Actor; step: TouchUpStep }
  /** An item's original copied from a URL: asked for (a command: `actor`), its job's word, or the alarm's look (./ingest.ts). */
  | { type: "INGEST"; actor?: Actor; step: IngestStep }
  | { type: "CANCEL"; actor: Actor; at: number }
  /** The item was deleted (its row carries deletedAt): it answers to nobody any more. */
  | { type: "DELETED"; at: number }
  /** Its owner or an administrator deletes the item through the API: it ends, and its files go. */
  | { type: "DELETE"; actor: Actor; at: number };

export type RefusalCode = "NOT_FOUND" | "FORBIDDEN" | "INVALID_STATE" | "RETRY_EXHAUSTED" | "INPUT_MISSING" | "RATE_LIMITED" | "INVALID_OUTPUT" | "NOT_RETRIABLE" | "UPLOAD_REJECTED";
export interface Refusal {
  code: RefusalCode;
  message: string;
  /** For RATE_LIMITED: when trying again can succeed. */
  retryAfterSeconds?: number;
}
