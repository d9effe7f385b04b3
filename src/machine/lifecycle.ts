import { assign, not, setup } from "xstate";
import type { JobError, JobOutput } from "../contract/index.ts";
import type {
  Actor,
  KeptError,
  LifecycleContext,
  LifecycleEvent,
  LifecycleInput,
  LifecycleState,
  Refusal,
  RunpodView,
} from "./types.ts";

/** How many applied callback ids an item remembers to recognise duplicates. */
const SEEN_EVENT_LIMIT = 64;
/** Manual retries allowed after a failure. */
export const MAX_RETRIES = 1;

type E<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;
type Callback = E<"PROGRESS"> | E<"COMPLETED"> | E<"FAILED">;

const mayAct = (actor: Actor, creatorId: string) =>
  actor.kind === "service" || actor.role === "admin" || actor.userId === creatorId;

function remember(seen: string[], eventId: string): string[] {
  return [...seen, eventId].slice(-SEEN_EVENT_LIMIT);
}

/** What RunPod's terminal status means when the handler left no result of its own. */
function errorFromRunpod(view: RunpodView): JobError {
  switch (view.status) {
    case "CANCELLED":
      return { code: "CANCELLED", message: "RunPod reports the job cancelled", retriable: true };
    case "FAILED":
      return { code: "INTERNAL", message: `RunPod reports the job failed: ${view.detail ?? "no detail"}`, retriable: true };
    default:
      return { code: "TIMED_OUT", message: `Job still ${view.status} at its deadline; cancelled`, retriable: true };
  }
}


const dispatch = { type: "dispatchJob", params: ({ context }: { context: LifecycleContext }) => ({ attemptId: context.attemptId! }) } as const;
const cancel = {
  type: "cancelJob",
  params: ({ context }: { context: LifecycleContext }) => ({ attemptId: context.attemptId!, jobId: context.jobId }),
} as const;
const refuse = (code: Refusal["code"], message: string) => ({ type: "refuse", params: { code, message } }) as const;
const ignore = (reason: string) => ({ type: "ignore", params: { reason } }) as const;

/** Another creator's item does not exist for them. */
const notOwner = { guard: not("mayAct"), actions: refuse("NOT_FOUND", "No such media item") } as const;
const notAdmin = { guard: not("isAdmin"), actions: refuse("FORBIDDEN", "Only an administrator may cancel a job") } as const;

/** Callbacks that change nothing and are acknowledged: another attempt's, or one already applied. */
const staleCallback = [
  { guard: "otherAttempt", actions: ignore("callback for another attempt") },
  { guard: "duplicateEvent", actions: ignore("duplicate event") },
] as const;

const VERB: Record<LifecycleEvent["type"], string> = {
  UPLOAD_COMPLETE: "complete the upload of",
  TRIGGER: "start transcoding",
  RETRY: "retry",
  CANCEL: "cancel",
  DISPATCHED: "record a dispatch for",
  DISPATCH_FAILED: "record a dispatch for",
  PROGRESS: "record progress for",
  COMPLETED: "complete",
  FAILED: "fail",
  TIMEOUT: "time out",
};

/** What every state answers to events it does not handle itself. */
function otherwise(state: LifecycleState) {
  const invalid = (type: LifecycleEvent["type"], hint = "") =>
    refuse("INVALID_STATE", `Cannot ${VERB[type]} an item that is ${state}${hint}`);
  const command = (type: "UPLOAD_COMPLETE" | "TRIGGER" | "RETRY", hint?: string) => [notOwner, { actions: invalid(type, hint) }];
  const callback = (type: Callback["type"]) => [...staleCallback, { actions: invalid(type) }];
  return {
    UPLOAD_COMPLETE: command("UPLOAD_COMPLETE"),
    TRIGGER: command("TRIGGER", state === "failed" ? "; use retry" : ""),
    RETRY: command("RETRY", "; only a failed item can be retried"),
    CANCEL: [notOwner, notAdmin, { actions: invalid("CANCEL", "; only a job in flight can be cancelled") }],
    PROGRESS: callback("PROGRESS"),
    COMPLETED: callback("COMPLETED"),
    FAILED: callback("FAILED"),
    TIMEOUT: { actions: ignore("no job in flight") },
    DISPATCHED: { actions: ignore("dispatch result for a finished attempt") },
    DISPATCH_FAILED: { actions: ignore("dispatch result for a finished attempt") },
  };
}

export const lifecycleMachine = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent,
    input: {} as LifecycleInput,
  },
  guards: {
    mayAct: ({ context, event }) => "actor" in event && mayAct(event.actor, context.creatorId),
    isAdmin: ({ event }) => "actor" in event && event.actor.kind === "user" && event.actor.role === "admin",
    objectExists: ({ event }) => event.type === "UPLOAD_COMPLETE" && event.objectExists,
    inputExists: ({ event }) => (event.type === "TRIGGER" || event.type === "RETRY") && event.inputExists,
    retryLeft: ({ context }) => context.attempts < MAX_RETRIES,
    otherAttempt: ({ context, event }) => "attemptId" in event && event.attemptId !== context.attemptId,
    duplicateEvent: ({ context, event }) => "eventId" in event && context.seenEventIds.includes(event.eventId),
    progressBackwards: ({ context, event }) => event.type === "PROGRESS" && event.percent < context.percent,
    dispatchedFromFailed: ({ context }) => context.dispatchedFrom === "failed",
    runpodCompleted: ({ context, event }) =>
      event.type === "TIMEOUT" &&
      event.runpod.result?.status === "completed" &&
      event.runpod.result.attemptId === context.attemptId,
    runpodEnded: ({ event }) =>
      event.type === "TIMEOUT" &&
      (event.runpod.result?.status === "failed" || ["FAILED", "CANCELLED", "TIMED_OUT"].includes(event.runpod.status)),
  },
  actions: {
    // Effect markers: the Durable Object carries them out after persisting the new snapshot.
    dispatchJob: (_, _params: { attemptId: string }) => {},
    cancelJob: (_, _params: { attemptId: string; jobId: string | null }) => {},
    // Outcome markers: nothing changes; the object answers with them.
    refuse: (_, _params: Refusal) => {},
    ignore: (_, _params: { reason: string }) => {},

    markUploaded: assign({ error: null }),
    startAttempt: assign(({ context, event }) => {
      const e = event as E<"TRIGGER"> | E<"RETRY">;
      return {
        attemptId: e.attemptId,
        jobId: null,
        dispatchedFrom: e.type === "RETRY" ? ("failed" as const) : ("uploaded" as const),
        attempts: e.type === "RETRY" ? context.attempts + 1 : context.attempts,
        phase: null,
        percent: 0,
        error: null,
        output: null,
        startedAt: e.at,
        finishedAt: null,
        deadlineAt: e.deadlineAt,
      };
    }),
    recordJobId: assign({ jobId: ({ event }) => (event as E<"DISPATCHED">).jobId }),
    undoDispatch: assign(({ context, event }) => ({
      // A dispatch that never reached RunPod spends no attempt.
      attempts: context.dispatchedFrom === "failed" ? context.attempts - 1 : context.attempts,
      error: { code: "DISPATCH_FAILED", message: (event as E<"DISPATCH_FAILED">).message, retriable: true } as KeptError,
      deadlineAt: null,
      startedAt: null,
    })),
    recordProgress: assign(({ context, event }) => {
      const e = event as E<"PROGRESS">;
      return { phase: e.phase, percent: e.percent, seenEventIds: remember(context.seenEventIds, e.eventId) };
    }),
    recordCompletion: assign(({ context, event }) => {
      const e = event as E<"COMPLETED">;
      return finish(context, e.at, { output: e.output, jobId: e.jobId ?? context.jobId, seen: e.eventId });
    }),
    recordFailure: assign(({ context, event }) => {
      const e = event as E<"FAILED">;
      return finish(context, e.at, { error: e.error, jobId: e.jobId ?? context.jobId, seen: e.eventId });
    }),
    recordRunpodCompletion: assign(({ context, event }) => {
      const e = event as E<"TIMEOUT">;
      const result = e.runpod.result as Extract<NonNullable<RunpodView["result"]>, { status: "completed" }>;
      return finish(context, e.at, { output: result.output });
    }),
    recordRunpodFailure: assign(({ context, event }) => {
      const e = event as E<"TIMEOUT">;
      const result = e.runpod.result;
      return finish(context, e.at, { error: result?.status === "failed" ? result.error : errorFromRunpod(e.runpod) });
    }),
    recordTimeout: assign(({ context, event }) => {
      const e = event as E<"TIMEOUT">;
      return finish(context, e.at, { error: errorFromRunpod(e.runpod) });
    }),
    recordCancel: assign(({ context, event }) =>
      finish(context, (event as E<"CANCEL">).at, {
        error: { code: "CANCELLED", message: "Cancelled by an administrator", retriable: true },
      }),
    ),
  },
}).createMachine({
  id: "mediaLifecycle",
  context: ({ input }) => ({
    ...input,
    attemptId: null,
    jobId: null,
    dispatchedFrom: null,
    phase: null,
    percent: 0,
    error: null,
    output: null,
    startedAt: null,
    finishedAt: null,
    deadlineAt: null,
    seenEventIds: [],
  }),
  initial: "uploading",
  states: {
    uploading: {
      on: {
        ...otherwise("uploading"),
        UPLOAD_COMPLETE: [
          notOwner,
          {
            guard: not("objectExists"),
            actions: refuse("INPUT_MISSING", "The original has not been uploaded to storage yet"),
          },
          { target: "uploaded", actions: "markUploaded" },
        ],
      },
    },
    uploaded: {
      on: {
        ...otherwise("uploaded"),
        TRIGGER: [
          notOwner,
          { guard: not("inputExists"), actions: refuse("INPUT_MISSING", "The original is missing from storage") },
          { target: "transcoding", actions: ["startAttempt", dispatch] },
        ],
      },
    },
    transcoding: {
      on: {
        ...otherwise("transcoding"),
        DISPATCHED: [
          { guard: "otherAttempt", actions: ignore("dispatch result for another attempt") },
          { actions: "recordJobId" },
        ],
        DISPATCH_FAILED: [
          { guard: "otherAttempt", actions: ignore("dispatch result for another attempt") },
          { guard: "dispatchedFromFailed", target: "failed", actions: "undoDispatch" },
          { target: "uploaded", actions: "undoDispatch" },
        ],
        PROGRESS: [
          ...staleCallback,
          { guard: "progressBackwards", actions: ignore("progress going backwards") },
          { actions: "recordProgress" },
        ],
        COMPLETED: [...staleCallback, { target: "ready", actions: "recordCompletion" }],
        FAILED: [...staleCallback, { target: "failed", actions: "recordFailure" }],
        TIMEOUT: [
          { guard: "runpodCompleted", target: "ready", actions: "recordRunpodCompletion" },
          { guard: "runpodEnded", target: "failed", actions: "recordRunpodFailure" },
          { target: "failed", actions: ["recordTimeout", cancel] },
        ],
        CANCEL: [
          notOwner,
          notAdmin,
          { target: "failed", actions: ["recordCancel", cancel] },
        ],
      },
    },
    ready: { on: otherwise("ready") },
    failed: {
      on: {
        ...otherwise("failed"),
        RETRY: [
          notOwner,
          {
            guard: not("retryLeft"),
            actions: refuse("RETRY_EXHAUSTED", `The retry is spent: an item may be retried ${MAX_RETRIES} time`),
          },
          { guard: not("inputExists"), actions: refuse("INPUT_MISSING", "The original is missing from storage") },
          { target: "transcoding", actions: ["startAttempt", dispatch] },
        ],
      },
    },
  },
});

function finish(
  context: LifecycleContext,
  at: number,
  r: { output?: JobOutput; error?: JobError; jobId?: string | null; seen?: string },
): Partial<LifecycleContext> {
  return {
    output: r.output ?? null,
    error: r.error ?? null,
    jobId: r.jobId === undefined ? context.jobId : r.jobId,
    percent: r.output ? 100 : context.percent,
    finishedAt: at,
    deadlineAt: null,
    seenEventIds: r.seen ? remember(context.seenEventIds, r.seen) : context.seenEventIds,
  };
}

