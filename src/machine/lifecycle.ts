import { and, assign, not, setup } from "xstate";
import { foreignOutputKeys, type JobError, type JobOutput } from "../contract/index.ts";
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
/** How many cancelled orphan jobs an item remembers, so that each is cancelled once. */
const CANCELLED_JOB_LIMIT = 16;
/** Manual retries allowed after a failure. */
export const MAX_RETRIES = 1;

type E<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;
type Callback = E<"PROGRESS"> | E<"COMPLETED"> | E<"FAILED">;
type Check = E<"TIMEOUT">;

/** Whether this actor may act on an item of this creator (its owner, an administrator, the service). */
export const mayAct = (actor: Actor, creatorId: string) =>
  actor.kind === "service" || actor.role === "admin" || actor.userId === creatorId;

function remember(seen: string[], id: string, limit = SEEN_EVENT_LIMIT): string[] {
  return [...seen, id].slice(-limit);
}

/** The job's last sign of life: its last progress, RunPod seen holding it queued, or else its dispatch. */
const lastSign = (c: LifecycleContext) => c.lastActivityAt ?? c.startedAt ?? 0;
const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** What RunPod's terminal status means when the handler left no result of its own. */
function errorFromRunpod(view: RunpodView): JobError {
  switch (view.status) {
    case "CANCELLED":
      return { code: "CANCELLED", message: "RunPod reports the job cancelled", retriable: true };
    case "FAILED":
      return { code: "INTERNAL", message: `RunPod reports the job failed: ${view.detail ?? "no detail"}`, retriable: true };
    case "TIMED_OUT":
      return { code: "TIMED_OUT", message: "RunPod stopped the job at its execution timeout", retriable: true };
    case "COMPLETED":
      return { code: "INTERNAL", message: "RunPod reports the job completed, without a usable result for this attempt", retriable: true };
    default:
      return { code: "TIMED_OUT", message: `Job still ${view.status} at its deadline; cancelled`, retriable: true };
  }
}

/** The output fields naming keys outside this item's attempt (see contract foreignOutputKeys). */
const foreignKeys = (c: LifecycleContext, output: JobOutput) =>
  foreignOutputKeys(output, { creatorId: c.creatorId, mediaId: c.mediaId, attemptId: c.attemptId ?? "" });

/** Why a job that RunPod does not report finished is given up. */
function stuckError(c: LifecycleContext, e: Check): JobError {
  let message: string;
  if (c.hardDeadlineAt !== null && e.at >= c.hardDeadlineAt) {
    message = `Job ran past its hard ceiling for this media's duration (${new Date(c.hardDeadlineAt).toISOString()}); cancelled`;
  } else if (e.runpod.status === "IN_QUEUE") {
    message = `Job waited in RunPod's queue for more than ${secs(e.policy.queueCeilingMs)}; cancelled`;
  } else {
    message = `No progress from the job for ${secs(e.at - lastSign(c))} (RunPod: ${e.runpod.status}); cancelled`;
  }
  return { code: "TIMED_OUT", message, retriable: true };
}


const dispatch = { type: "dispatchJob", params: ({ context }: { context: LifecycleContext }) => ({ attemptId: context.attemptId! }) } as const;
const cancel = {
  type: "cancelJob",
  params: ({ context }: { context: LifecycleContext }) => ({ attemptId: context.attemptId!, jobId: context.jobId }),
} as const;
const cancelOrphan = {
  type: "cancelJob",
  params: ({ event }: { event: LifecycleEvent }) => ({ attemptId: (event as Callback).attemptId, jobId: (event as Callback).jobId }),
} as const;
const refuse = (code: Refusal["code"], message: string) => ({ type: "refuse", params: { code, message } }) as const;
/** The upload's bytes failed the checks at completion (size, first bytes): the reason is the event's. */
const uploadRejected = {
  type: "refuse",
  params: ({ event }: { event: LifecycleEvent }) => ({ code: "UPLOAD_REJECTED" as const, message: (event as E<"UPLOAD_COMPLETE">).rejected ?? "" }),
} as const;
const rateLimited = {
  type: "refuse",
  params: ({ event }: { event: LifecycleEvent }) => {
    const a = (event as E<"TRIGGER"> | E<"RETRY">).admission as Extract<E<"TRIGGER">["admission"], { ok: false }>;
    return { code: "RATE_LIMITED" as const, message: a.message, retryAfterSeconds: a.retryAfterSeconds };
  },
} as const;
const ignore = (reason: string) => ({ type: "ignore", params: { reason } }) as const;

/** Another creator's item does not exist for them. */
const notOwner = { guard: not("mayAct"), actions: refuse("NOT_FOUND", "No such media item") } as const;
const notAdmin = { guard: not("isAdmin"), actions: refuse("FORBIDDEN", "Only an administrator may cancel a job") } as const;

/**
 * Callbacks that change nothing and are acknowledged: another attempt's, or one already applied.
 * Progress from another attempt's job means a job this item no longer wants is running (its
 * dispatch answer was lost, or it ignored a cancel): it is cancelled at RunPod, once.
 */
const staleCallback = [
  { guard: "unwantedJob", actions: ["rememberCancelled", cancelOrphan, ignore("callback for another attempt; its job is cancelled")] },
  { guard: "otherAttempt", actions: ignore("callback for another attempt") },
  { guard: "duplicateEvent", actions: ignore("duplicate event") },
] as const;

const VERB: Record<Exclude<LifecycleEvent["type"], "DELETED" | "DELETE">, string> = {
  UPLOAD_COMPLETE: "complete the upload of",
  TRIGGER: "start transcoding",
  RETRY: "retry",
  CANCEL: "cancel",
  DISPATCHED: "record a dispatch for",
  DISPATCH_FAILED: "record a dispatch for",
  DISPATCH_UNCONFIRMED: "record a dispatch for",
  PROGRESS: "record progress for",
  COMPLETED: "complete",
  FAILED: "fail",
  TIMEOUT: "time out",
};

/** What every state answers to events it does not handle itself. */
function otherwise(state: LifecycleState) {
  const invalid = (type: keyof typeof VERB, hint = "") =>
    refuse("INVALID_STATE", `Cannot ${VERB[type]} an item that is ${state}${hint}`);
  const command = (type: "UPLOAD_COMPLETE" | "TRIGGER", hint?: string) => [notOwner, { actions: invalid(type, hint) }];
  const callback = (type: Callback["type"]) => [...staleCallback, { actions: invalid(type) }];
  return {
    UPLOAD_COMPLETE: command("UPLOAD_COMPLETE"),
    TRIGGER: command("TRIGGER", state === "failed" ? "; use retry" : ""),
    // Its own code: the retry route answers it 422, other refusals of state 409 (src/http/command-answer.ts).
    RETRY: [notOwner, { actions: refuse("NOT_RETRIABLE", `Cannot ${VERB.RETRY} an item that is ${state}; only a failed item can be retried`) }],
    CANCEL: [notOwner, notAdmin, { actions: invalid("CANCEL", "; only a job in flight can be cancelled") }],
    PROGRESS: callback("PROGRESS"),
    COMPLETED: callback("COMPLETED"),
    FAILED: callback("FAILED"),
    TIMEOUT: { actions: ignore("no job in flight") },
    DISPATCHED: { actions: ignore("dispatch result for a finished attempt") },
    DISPATCH_FAILED: { actions: ignore("dispatch result for a finished attempt") },
    DISPATCH_UNCONFIRMED: { actions: ignore("dispatch result for a finished attempt") },
    DELETED: { target: "#mediaLifecycle.deleted" },
    DELETE: [notOwner, { target: "#mediaLifecycle.deleted" }],
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
    uploadRejected: ({ event }) => event.type === "UPLOAD_COMPLETE" && !!event.rejected,
    inputExists: ({ event }) => (event.type === "TRIGGER" || event.type === "RETRY") && event.inputExists,
    retryLeft: ({ context }) => context.retriesUsed < MAX_RETRIES,
    admitted: ({ event }) => (event.type === "TRIGGER" || event.type === "RETRY") && event.admission.ok,
    otherAttempt: ({ context, event }) => "attemptId" in event && event.attemptId !== context.attemptId,
    unwantedJob: ({ context, event }) =>
      event.type === "PROGRESS" &&
      event.attemptId !== context.attemptId &&
      event.jobId !== null &&
      event.jobId !== context.jobId &&
      !context.cancelledJobIds.includes(event.jobId),
    duplicateEvent: ({ context, event }) => "eventId" in event && context.seenEventIds.includes(event.eventId),
    progressBackwards: ({ context, event }) => event.type === "PROGRESS" && event.percent < context.percent,
    dispatchedFromFailed: ({ context }) => context.dispatchedFrom === "failed",
    runpodCompleted: ({ context, event }) =>
      event.type === "TIMEOUT" &&
      event.runpod.result?.status === "completed" &&
      event.runpod.result.attemptId === context.attemptId &&
      foreignKeys(context, event.runpod.result.output).length === 0,
    runpodEnded: ({ event }) =>
      event.type === "TIMEOUT" &&
      (event.runpod.result?.status === "failed" || ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"].includes(event.runpod.status)),
    foreignOutput: ({ context, event }) => event.type === "COMPLETED" && foreignKeys(context, event.output).length > 0,
    pastHardCeiling: ({ context, event }) => event.type === "TIMEOUT" && context.hardDeadlineAt !== null && event.at >= context.hardDeadlineAt,
    queuedWithinCeiling: ({ context, event }) =>
      event.type === "TIMEOUT" && event.runpod.status === "IN_QUEUE" && event.at < (context.startedAt ?? 0) + event.policy.queueCeilingMs,
    // A queued job is judged by the queue ceiling alone, never by the stall window.
    queued: ({ event }) => event.type === "TIMEOUT" && event.runpod.status === "IN_QUEUE",
    alive: ({ context, event }) => event.type === "TIMEOUT" && event.at - lastSign(context) < event.policy.stallMs,
    unconfirmed: ({ context }) => context.jobId === null && context.dispatchUnconfirmed,
  },
  actions: {
    // Effect markers: the Durable Object carries them out after persisting the new snapshot.
    dispatchJob: (_, _params: { attemptId: string }) => {},
    cancelJob: (_, _params: { attemptId: string; jobId: string | null }) => {},
    /** The attempt no longer holds one of its creator's jobs in flight; `refund` when it never reached RunPod. */
    releaseJobSlot: (_, _params: { attemptId: string; refund: boolean }) => {},
    // Outcome markers: nothing changes; the object answers with them.
    refuse: (_, _params: Refusal) => {},
    ignore: (_, _params: { reason: string }) => {},

    markUploaded: assign({ error: null }),
    markDeleted: assign({ deadlineAt: null }),
    startAttempt: assign(({ context, event }) => {
      const e = event as E<"TRIGGER"> | E<"RETRY">;
      return {
        attemptId: e.attemptId,
        jobId: null,
        dispatchedFrom: e.type === "RETRY" ? ("failed" as const) : ("uploaded" as const),
        retriesUsed: e.type === "RETRY" ? context.retriesUsed + 1 : context.retriesUsed,
        phase: null,
        percent: 0,
        error: null,
        output: null,
        startedAt: e.at,
        finishedAt: null,
        deadlineAt: e.deadlineAt,
        lastActivityAt: null,
        hardDeadlineAt: null,
        dispatchUnconfirmed: false,
      };
    }),
    recordJobId: assign({ jobId: ({ event }) => (event as E<"DISPATCHED">).jobId, dispatchUnconfirmed: false }),
    recordUnconfirmedDispatch: assign({ dispatchUnconfirmed: true }),
    undoDispatch: assign(({ context, event }) => ({
      // A dispatch that never reached RunPod spends no attempt.
      retriesUsed: context.dispatchedFrom === "failed" ? context.retriesUsed - 1 : context.retriesUsed,
      error: { code: "DISPATCH_FAILED", message: (event as E<"DISPATCH_FAILED">).message, retriable: true } as KeptError,
      deadlineAt: null,
      startedAt: null,
    })),
    // A lost /run answer and then silence for the stall window: RunPod most likely never took the
    // job. Nothing is spent; should the job show up after all, its first progress gets it cancelled.
    giveUpUnconfirmed: assign(({ context, event }) => ({
      retriesUsed: context.dispatchedFrom === "failed" ? context.retriesUsed - 1 : context.retriesUsed,
      error: {
        code: "DISPATCH_FAILED",
        message: `RunPod never confirmed the job and nothing was heard from it for ${secs((event as Check).at - lastSign(context))}`,
        retriable: true,
      } as KeptError,
      deadlineAt: null,
      startedAt: null,
      dispatchUnconfirmed: false,
    })),
    recordProgress: assign(({ context, event }) => {
      const e = event as E<"PROGRESS">;
      const hardDeadlineAt = context.hardDeadlineAt ?? e.hardDeadlineAt;
      return {
        phase: e.phase,
        percent: e.percent,
        seenEventIds: remember(context.seenEventIds, e.eventId),
        // The first callback of a job whose /run answer was lost tells its id.
        jobId: context.jobId ?? e.jobId,
        dispatchUnconfirmed: context.jobId === null && e.jobId === null ? context.dispatchUnconfirmed : false,
        lastActivityAt: e.at,
        hardDeadlineAt,
        // Progress does not move the alarm (one storage write fewer per callback); the check at the
        // deadline finds the job alive and looks again later. Only a nearer ceiling brings it forward.
        deadlineAt: hardDeadlineAt !== null && context.deadlineAt !== null ? Math.min(context.deadlineAt, hardDeadlineAt) : context.deadlineAt,
      };
    }),
    rememberCancelled: assign(({ context, event }) => ({
      cancelledJobIds: remember(context.cancelledJobIds, (event as E<"PROGRESS">).jobId!, CANCELLED_JOB_LIMIT),
    })),
    /** The job is alive (queued, or sending progress): look again when it could next count as stuck. */
    lookAgainLater: assign(({ context, event }) => {
      const e = event as Check;
      const queued = e.runpod.status === "IN_QUEUE";
      const lastActivityAt = queued ? e.at : context.lastActivityAt;
      const candidates = [(lastActivityAt ?? context.startedAt ?? e.at) + e.policy.stallMs];
      if (queued) candidates.push((context.startedAt ?? e.at) + e.policy.queueCeilingMs);
      if (context.hardDeadlineAt !== null) candidates.push(context.hardDeadlineAt);
      return { lastActivityAt, deadlineAt: Math.max(e.at + 1, Math.min(...candidates)) };
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
      return finish(context, e.at, { error: stuckError(context, e) });
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
    lastActivityAt: null,
    hardDeadlineAt: null,
    dispatchUnconfirmed: false,
    cancelledJobIds: [],
    seenEventIds: [],
  }),
  initial: "uploading",
  states: {
    uploading: {
      on: {
        ...otherwise("uploading"),
        UPLOAD_COMPLETE: [
          notOwner,
          { guard: "uploadRejected", actions: uploadRejected },
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
          { guard: not("admitted"), actions: rateLimited },
          { target: "transcoding", actions: ["startAttempt", dispatch] },
        ],
      },
    },
    transcoding: {
      // Whatever ends the attempt gives its creator's job slot back (once: exit runs once per attempt).
      exit: {
        type: "releaseJobSlot",
        params: ({ context, event }) => ({ attemptId: context.attemptId!, refund: event.type === "DISPATCH_FAILED" }),
      },
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
        DISPATCH_UNCONFIRMED: [
          { guard: "otherAttempt", actions: ignore("dispatch result for another attempt") },
          { actions: "recordUnconfirmedDispatch" },
        ],
        PROGRESS: [
          ...staleCallback,
          { guard: "progressBackwards", actions: ignore("progress going backwards") },
          { actions: "recordProgress" },
        ],
        COMPLETED: [
          ...staleCallback,
          // Only the contract's keys for this item and attempt are ever stored (and later served).
          {
            guard: "foreignOutput",
            actions: {
              type: "refuse",
              params: ({ context, event }) => ({
                code: "INVALID_OUTPUT" as const,
                message: `The completed callback names keys that are not this item's: ${foreignKeys(context, (event as E<"COMPLETED">).output).join(", ")}`,
              }),
            },
          },
          { target: "ready", actions: "recordCompletion" },
        ],
        FAILED: [...staleCallback, { target: "failed", actions: "recordFailure" }],
        // The alarm's look at a job: RunPod's /status first, then the clocks. A job sending progress
        // is never stuck; a queued one waits up to the queue ceiling; the hard ceiling bounds both.
        TIMEOUT: [
          { guard: "runpodCompleted", target: "ready", actions: "recordRunpodCompletion" },
          { guard: "runpodEnded", target: "failed", actions: "recordRunpodFailure" },
          { guard: "pastHardCeiling", target: "failed", actions: ["recordTimeout", cancel] },
          { guard: "queuedWithinCeiling", actions: "lookAgainLater" },
          { guard: "queued", target: "failed", actions: ["recordTimeout", cancel] },
          { guard: "alive", actions: "lookAgainLater" },
          { guard: and(["unconfirmed", "dispatchedFromFailed"]), target: "failed", actions: "giveUpUnconfirmed" },
          { guard: "unconfirmed", target: "uploaded", actions: "giveUpUnconfirmed" },
          { target: "failed", actions: ["recordTimeout", cancel] },
        ],
        CANCEL: [
          notOwner,
          notAdmin,
          { target: "failed", actions: ["recordCancel", cancel] },
        ],
        DELETED: { target: "deleted", actions: cancel },
        DELETE: [notOwner, { target: "deleted", actions: cancel }],
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
          { guard: not("admitted"), actions: rateLimited },
          { target: "transcoding", actions: ["startAttempt", dispatch] },
        ],
      },
    },
    // Deleted: the item exists for nobody. Callbacks are acknowledged (a job still running is
    // cancelled by the orphan rule); every command answers as for an unknown item.
    deleted: {
      entry: "markDeleted",
      on: {
        UPLOAD_COMPLETE: { actions: refuse("NOT_FOUND", "No such media item") },
        TRIGGER: { actions: refuse("NOT_FOUND", "No such media item") },
        RETRY: { actions: refuse("NOT_FOUND", "No such media item") },
        CANCEL: { actions: refuse("NOT_FOUND", "No such media item") },
        PROGRESS: [...staleCallback, { actions: ignore("the item was deleted") }],
        COMPLETED: { actions: ignore("the item was deleted") },
        FAILED: { actions: ignore("the item was deleted") },
        TIMEOUT: { actions: ignore("the item was deleted") },
        DISPATCHED: { actions: ignore("the item was deleted") },
        DISPATCH_FAILED: { actions: ignore("the item was deleted") },
        DISPATCH_UNCONFIRMED: { actions: ignore("the item was deleted") },
        DELETED: { actions: ignore("already deleted") },
        DELETE: { actions: refuse("NOT_FOUND", "No such media item") },
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

