import type { JobError } from "../contract/index.ts";
import type { SideJobResult } from "./side-job.ts";
import type { KeptError, LifecycleContext, LifecycleState } from "./types.ts";

/**
 * Ingest from a URL (src/contract/ingest.ts): while the item is `uploading`, a job copies the URL
 * into its original's key; its `ingested` word completes the upload like a client's completion
 * (the same checks), and the item is `uploaded` (then triggered, when asked). Pure: what a step
 * does to the context and which effects it asks of the object.
 */
export interface IngestState {
  id: string;
  /** The URL as given (the status shows its origin only). */
  url: string;
  maxBytes: number;
  /** Trigger the transcode once the copy is in. */
  transcode: boolean;
  status: "running" | "failed" | "done";
  jobId: string | null;
  bytes: number;
  totalBytes: number | null;
  /** When the alarm gives up on a silent copy (TIMED_OUT): a stall window after the last word. */
  deadlineAt: number;
  error: KeptError | null;
}

export type IngestStep =
  | { kind: "request"; id: string; url: string; maxBytes: number; transcode: boolean; at: number; deadlineAt: number }
  | { kind: "dispatched"; id: string; jobId: string }
  | { kind: "progress"; id: string; bytes: number; totalBytes: number | null; deadlineAt: number }
  | { kind: "failed"; id: string; error: JobError | KeptError }
  | { kind: "timeout"; at: number };


export const runningIngest = (c: LifecycleContext) => (c.ingest?.status === "running" ? c.ingest : null);

export function ingestStep(c: LifecycleContext, state: LifecycleState, step: IngestStep): SideJobResult {
  const now = runningIngest(c);
  switch (step.kind) {
    case "request": {
      if (state !== "uploading") return { outcome: "refused", code: "INVALID_STATE", message: `Only an item waiting for its original can ingest one; this one is ${state}` };
      if (now) return { outcome: "refused", code: "INVALID_STATE", message: "This item is already copying its original from a URL" };
      const ingest: IngestState = { id: step.id, url: step.url, maxBytes: step.maxBytes, transcode: step.transcode, status: "running", jobId: null, bytes: 0, totalBytes: null, deadlineAt: step.deadlineAt, error: null };
      return { outcome: "applied", effects: [{ type: "dispatch", id: step.id }], context: { ingest, error: null } };
    }
    case "dispatched":
      if (now?.id !== step.id) return { outcome: "ignored", reason: "dispatch of an ingest that is over", effects: [{ type: "cancel", jobId: step.jobId }] };
      return { outcome: "applied", effects: [], context: { ingest: { ...now, jobId: step.jobId } } };
    case "progress":
      if (now?.id !== step.id) return { outcome: "ignored", reason: "progress of an ingest that is over", effects: [] };
      if (step.bytes < now.bytes) return { outcome: "ignored", reason: "ingest progress going backwards", effects: [] };
      return { outcome: "applied", effects: [], context: { ingest: { ...now, bytes: step.bytes, totalBytes: step.totalBytes, deadlineAt: Math.max(now.deadlineAt, step.deadlineAt) } } };
    case "failed": {
      if (now?.id !== step.id) return { outcome: "ignored", reason: "failure of an ingest that is over", effects: [] };
      const error = { code: step.error.code, message: step.error.message, retriable: step.error.retriable };
      // The item keeps waiting for an original (another URL, or an upload); the status says why this one failed.
      return { outcome: "applied", effects: [], context: { ingest: { ...now, status: "failed", error }, error } };
    }
    case "timeout": {
      if (!now || step.at < now.deadlineAt) return { outcome: "ignored", reason: "no ingest past its deadline", effects: [] };
      const error = { code: "TIMED_OUT" as const, message: "The copy from the URL went silent", retriable: true };
      return { outcome: "applied", effects: now.jobId ? [{ type: "cancel", jobId: now.jobId }] : [], context: { ingest: { ...now, status: "failed", error }, error } };
    }
  }
}

/** When the alarm must look at a running ingest. */
export const ingestDeadline = (c: LifecycleContext): number | null => runningIngest(c)?.deadlineAt ?? null;
