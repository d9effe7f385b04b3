import type { JobError, JobOutput, JobResult, MediaType, Phase } from "../contract/index.ts";

export type LifecycleState = "uploading" | "uploaded" | "transcoding" | "ready" | "failed";

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
  /** Retries spent: 0 or 1. A failure does not count; a retry does. */
  attempts: number;
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
  /** When the stuck-job alarm must reconcile; null outside `transcoding`. */
  deadlineAt: number | null;
  /** Callback event ids already applied, newest last (bounded). */
  seenEventIds: string[];
}

export interface LifecycleInput {
  mediaId: string;
  creatorId: string;
  mediaType: MediaType;
  inputKey: string;
  durationSeconds: number | null;
  attempts: number;
}

/** RunPod's view of a job at reconciliation time, gathered by the object before the event. */
export interface RunpodView {
  status: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT" | "NOT_FOUND" | "UNREACHABLE";
  /** The handler's result when RunPod holds one that parses. */
  result: JobResult | null;
  detail: string | null;
}

export type LifecycleEvent =
  | { type: "UPLOAD_COMPLETE"; actor: Actor; objectExists: boolean }
  | { type: "TRIGGER"; actor: Actor; inputExists: boolean; attemptId: string; at: number; deadlineAt: number }
  | { type: "RETRY"; actor: Actor; inputExists: boolean; attemptId: string; at: number; deadlineAt: number }
  | { type: "DISPATCHED"; attemptId: string; jobId: string }
  | { type: "DISPATCH_FAILED"; attemptId: string; message: string }
  | { type: "PROGRESS"; attemptId: string; eventId: string; phase: Phase; percent: number }
  | { type: "COMPLETED"; attemptId: string; eventId: string; jobId: string | null; output: JobOutput; at: number }
  | { type: "FAILED"; attemptId: string; eventId: string; jobId: string | null; error: JobError; at: number }
  | { type: "TIMEOUT"; at: number; runpod: RunpodView }
  | { type: "CANCEL"; actor: Actor; at: number };

export type RefusalCode = "NOT_FOUND" | "FORBIDDEN" | "INVALID_STATE" | "RETRY_EXHAUSTED" | "INPUT_MISSING";
export interface Refusal {
  code: RefusalCode;
  message: string;
}
