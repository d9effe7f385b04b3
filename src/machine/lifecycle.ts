import { assign, setup } from "xstate";
import { foreignOutputKeys, type JobOutput } from "../contract/index.ts";
import { CANCELLED_JOB_LIMIT, finished, progressed, refunded, remember, started, type Finish, type Start } from "./attempt.ts";
import type { FanoutStep } from "./fanout.ts";
import { touchUpJob, touchUpStep } from "./touch-up.ts";
import { ingestStep, runningIngest } from "./ingest.ts";
import type { SideJobEffect, SideJobResult } from "./side-job.ts";
import { effectMarkers, outcomeMarkers } from "./outcome.ts";
import { afterSplit, chunkJobsInFlight, progressFloor, splitStep, splitting, type SplitEvent } from "./split.ts";
import { afterVerdict, timeoutVerdict, unconfirmedError, type TimeoutVerdict } from "./timeout.ts";
import type { Actor, Admission, KeptError, LifecycleContext, LifecycleEvent, LifecycleInput, LifecycleState, Refusal, RefusalCode } from "./types.ts";

/** Manual retries allowed after a failure. */
export const MAX_RETRIES = 1;

/** Whether this actor may act on an item of this creator (its owner, an administrator, the service). */
export const mayAct = (actor: Actor, creatorId: string) =>
  actor.kind === "service" || actor.role === "admin" || actor.userId === creatorId;

type E<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;
type Callback = E<"PROGRESS"> | E<"COMPLETED"> | E<"FAILED"> | E<"PLANNED"> | E<"REST_COMPLETED">;
type Command = Extract<LifecycleEvent, { actor: Actor }>;
/**
 * What a guard or a parameter function reads. XState hands each the event of the transition it
 * sits on, so these name only the fields they need and never test the event's type.
 */
type Args<Ev> = { context: LifecycleContext; event: Ev };

// ---- guards: plain predicates over the fields they read ------------------------------------

/** Another creator's item does not exist for them. */
const strangerActs = ({ context, event }: Args<{ actor: Actor }>) => !mayAct(event.actor, context.creatorId);
const notAdmin = ({ event }: Args<{ actor: Actor }>) => !(event.actor.kind === "user" && event.actor.role === "admin");
const otherAttempt = ({ context, event }: Args<{ attemptId: string }>) => event.attemptId !== context.attemptId;
const duplicateEvent = ({ context, event }: Args<{ eventId: string | null }>) => event.eventId !== null && context.seenEventIds.includes(event.eventId);
/** Progress from a job of another attempt that has not been cancelled yet: a job nobody wants is running. */
const unwantedJob = ({ context, event }: Args<E<"PROGRESS">>) =>
  event.attemptId !== context.attemptId && event.jobId !== null && event.jobId !== context.jobId && !context.cancelledJobIds.includes(event.jobId);
const foreignKeys = (c: LifecycleContext, output: JobOutput) => foreignOutputKeys(output, { creatorId: c.creatorId, mediaId: c.mediaId, attemptId: c.attemptId ?? "" });
const verdictIs =
  (...to: TimeoutVerdict["to"][]) =>
  ({ context, event }: Args<E<"TIMEOUT">>) =>
    to.includes(timeoutVerdict(context, event).to);

// ---- actions with their parameters --------------------------------------------------------

const refuse = (code: RefusalCode, message: string): { type: "refuse"; params: Refusal } => ({ type: "refuse", params: { code, message } });
const ignore = (reason: string): { type: "ignore"; params: { reason: string } } => ({ type: "ignore", params: { reason } });
const cancel = { type: "cancelJob", params: ({ context }: Args<unknown>) => ({ attemptId: context.attemptId ?? "", jobId: context.jobId }) } as const;
const verdict = { type: "applyVerdict", params: ({ context, event }: Args<E<"TIMEOUT">>) => ({ at: event.at, verdict: timeoutVerdict(context, event) }) } as const;
const finish = <Ev>(params: (a: Args<Ev>) => Finish) => ({ type: "finishAttempt", params }) as const;
/** A split video's chunk jobs still in flight, cancelled as the item ends. */
const cancelChunks = {
  type: "fanoutEffects",
  params: ({ context }: Args<unknown>) => ({ attemptId: context.attemptId ?? "", effects: chunkJobsInFlight(context).map((jobId) => ({ type: "cancelJob" as const, jobId })) }),
} as const;

/**
 * A fan-out step (./split.ts) as transitions: its effects first (computed from the context
 * before the step), then where it leads. Ignored: a superseded try's callback (its job is
 * cancelled); failed: the item fails with every chunk job cancelled; complete: the stitch.
 */
function splitChain<Ev extends SplitEvent>(when: (a: Args<Ev>) => boolean = () => true) {
  const step = ({ context, event }: Args<Ev>) => splitStep(context, event);
  const effects = { type: "fanoutEffects", params: (a: Args<Ev>) => ({ attemptId: a.context.attemptId ?? "", effects: step(a).effects }) } as const;
  const apply = { type: "applySplit", params: (a: Args<Ev>) => ({ event: a.event as SplitEvent, step: step(a) }) } as const;
  return [
    { guard: (a: Args<Ev>) => when(a) && step(a).outcome === "ignored", actions: [effects, ignore("callback of a superseded or finished chunk try")] },
    {
      guard: (a: Args<Ev>) => when(a) && step(a).outcome === "failed",
      target: "#mediaLifecycle.failed",
      // The guard holds the step failed: its error is there.
      actions: [effects, cancel, finish<Ev>((a) => ({ at: a.event.at, error: (step(a) as Extract<FanoutStep, { outcome: "failed" }>).error, seen: ("eventId" in a.event && a.event.eventId) || undefined }))],
    },
    { guard: (a: Args<Ev>) => when(a) && step(a).outcome === "complete", actions: [effects, apply, { type: "dispatchStitch", params: ({ context }: Args<Ev>) => ({ attemptId: context.attemptId ?? "" }) }] },
    { guard: when, actions: [effects, apply] },
  ] as const;
}
const notSplitting = ({ context }: Args<unknown>) => splitting(context) === null;
/** "Go back to where the attempt came from", spending nothing: one transition, one refund. */
const backToOrigin = <Ev>(error: (a: Args<Ev>) => KeptError) => ({ target: "#mediaLifecycle.returning", actions: { type: "refundAttempt", params: error } }) as const;

const rateLimit = (a: Admission): Refusal =>
  a.ok ? { code: "RATE_LIMITED", message: "Rate limited" } : { code: "RATE_LIMITED", message: a.message, retryAfterSeconds: a.retryAfterSeconds };

const notOwner = { guard: strangerActs, actions: refuse("NOT_FOUND", "No such media item") } as const;
const adminOnly = { guard: notAdmin, actions: refuse("FORBIDDEN", "Only an administrator may cancel a job") } as const;

/**
 * Callbacks that change nothing and are acknowledged: another attempt's, or one already applied.
 * Progress from another attempt's job means a job this item no longer wants is running (its
 * dispatch answer was lost, or it ignored a cancel): it is cancelled at RunPod, once.
 */
const orphanProgress = {
  guard: unwantedJob,
  actions: [
    { type: "rememberCancelled", params: ({ event }: Args<E<"PROGRESS">>) => ({ jobId: event.jobId }) },
    { type: "cancelJob", params: ({ event }: Args<E<"PROGRESS">>) => ({ attemptId: event.attemptId, jobId: event.jobId }) },
    ignore("callback for another attempt; its job is cancelled"),
  ],
} as const;
/** A chunk job's word when the item has no split in flight: acknowledged, and a job still running is cancelled. */
const orphanChunk = [
  {
    guard: ({ event }: Args<E<"CHUNK">>) => event.report.kind === "dispatched" || event.report.kind === "progress",
    actions: [
      { type: "cancelJob", params: ({ event }: Args<E<"CHUNK">>) => ({ attemptId: event.attemptId, jobId: event.report.jobId }) },
      ignore("chunk job of a finished attempt; its job is cancelled"),
    ],
  },
  { actions: ignore("chunk job of a finished attempt") },
] as const;
const staleCallback = [
  { guard: otherAttempt, actions: ignore("callback for another attempt") },
  { guard: duplicateEvent, actions: ignore("duplicate event") },
] as const;

/**
 * TRIGGER and RETRY share one chain: the owner's, the original still in storage, a job slot
 * admitted, then the attempt starts and is dispatched. `first` holds a retry's own check.
 */
function startChain<const T extends readonly unknown[]>(...own: T) {
  return [
    notOwner,
    ...own,
    { guard: ({ event }: Args<{ inputExists: boolean }>) => !event.inputExists, actions: refuse("INPUT_MISSING", "The original is missing from storage") },
    { guard: ({ event }: Args<{ admission: Admission }>) => !event.admission.ok, actions: { type: "refuse", params: ({ event }: Args<{ admission: Admission }>) => rateLimit(event.admission) } },
    {
      target: "#mediaLifecycle.transcoding",
      actions: [
        { type: "startAttempt", params: ({ event }: Args<E<"TRIGGER"> | E<"RETRY">>): Start => ({ attemptId: event.attemptId, at: event.at, deadlineAt: event.deadlineAt, retry: event.type === "RETRY" }) },
        { type: "dispatchJob", params: ({ event }: Args<{ attemptId: string }>) => ({ attemptId: event.attemptId }) },
      ],
    },
  ] as const;
}

/**
 * A side job's step (a ready item's touch-up, ./touch-up.ts; an ingest from a URL, ./ingest.ts)
 * as transitions, under its own effect marker. Asked for by a stranger: not found. Refused,
 * ignored (with its effects, e.g. cancelling an unwanted job) or applied, as the step says.
 */
function sideJobChain<T extends "TOUCH_UP" | "INGEST">(marker: T extends "TOUCH_UP" ? "touchUpEffects" : "ingestEffects", step: (a: Args<E<T>>) => SideJobResult) {
  const effects = { type: marker, params: (a: Args<E<T>>) => ({ attemptId: a.context.attemptId ?? "", effects: effectsOf(step(a)) }) } as const;
  return [
    { guard: ({ context, event }: Args<{ actor?: Actor }>) => !!event.actor && !mayAct(event.actor, context.creatorId), actions: refuse("NOT_FOUND", "No such media item") },
    {
      guard: (a: Args<E<T>>) => step(a).outcome === "refused",
      actions: { type: "refuse", params: (a: Args<E<T>>) => { const r = step(a) as Extract<SideJobResult, { outcome: "refused" }>; return { code: r.code, message: r.message }; } },
    },
    { guard: (a: Args<E<T>>) => step(a).outcome === "ignored", actions: [effects, { type: "ignore", params: (a: Args<E<T>>) => ({ reason: (step(a) as { reason: string }).reason }) }] },
    { actions: [effects, { type: "applySideJob", params: (a: Args<E<T>>) => (step(a) as Extract<SideJobResult, { outcome: "applied" }>).context }] },
  ] as const;
}
const effectsOf = (r: SideJobResult): SideJobEffect[] => (r.outcome === "refused" ? [] : r.effects);
/** The side jobs still running as the item goes away: cancelled. */
const cancelSideJobs = [
  { type: "touchUpEffects", params: ({ context }: Args<unknown>) => cancelling(context, touchUpJob(context)) },
  { type: "ingestEffects", params: ({ context }: Args<unknown>) => cancelling(context, runningIngest(context)?.jobId ?? null) },
] as const;
const cancelling = (c: LifecycleContext, jobId: string | null) => ({ attemptId: c.attemptId ?? "", effects: jobId ? [{ type: "cancel" as const, jobId }] : [] });

const VERB: Record<Exclude<LifecycleEvent["type"], "DELETED" | "DELETE" | "TOUCH_UP" | "INGEST">, string> = {
  UPLOAD_COMPLETE: "complete the upload of",
  TRIGGER: "start transcoding",
  RETRY: "retry",
  CANCEL: "cancel",
  DISPATCHED: "record a dispatch for",
  DISPATCH_FAILED: "record a dispatch for",
  DISPATCH_UNCONFIRMED: "record a dispatch for",
  PROGRESS: "record progress for",
  PLANNED: "split",
  REST_COMPLETED: "complete the whole-file work of",
  CHUNK: "record a chunk for",
  PUBLISHED: "record published playlists for",
  COMPLETED: "complete",
  FAILED: "fail",
  TIMEOUT: "time out",
};

/** What every live state answers to events it does not handle itself. */
function otherwise(state: LifecycleState) {
  const invalid = (type: keyof typeof VERB, hint = "") => refuse("INVALID_STATE", `Cannot ${VERB[type]} an item that is ${state}${hint}`);
  const callback = (type: Callback["type"]) => [...staleCallback, { actions: invalid(type) }];
  const lateDispatch = { actions: ignore("dispatch result for a finished attempt") };
  return {
    UPLOAD_COMPLETE: [notOwner, { actions: invalid("UPLOAD_COMPLETE") }],
    TRIGGER: [notOwner, { actions: invalid("TRIGGER", state === "failed" ? "; use retry" : "") }],
    // Its own code: the retry route answers it 422, other refusals of state 409 (src/http/command-answer.ts).
    RETRY: [notOwner, { actions: refuse("NOT_RETRIABLE", `Cannot ${VERB.RETRY} an item that is ${state}; only a failed item can be retried`) }],
    CANCEL: [notOwner, adminOnly, { actions: invalid("CANCEL", "; only a job in flight can be cancelled") }],
    PROGRESS: [orphanProgress, ...callback("PROGRESS")],
    COMPLETED: callback("COMPLETED"),
    FAILED: callback("FAILED"),
    PLANNED: callback("PLANNED"),
    REST_COMPLETED: callback("REST_COMPLETED"),
    CHUNK: orphanChunk,
    PUBLISHED: { actions: ignore("no split in flight") },
    TIMEOUT: { actions: ignore("no job in flight") },
    DISPATCHED: lateDispatch,
    DISPATCH_FAILED: lateDispatch,
    DISPATCH_UNCONFIRMED: lateDispatch,
    DELETED: { target: "#mediaLifecycle.deleted", actions: cancelSideJobs },
    DELETE: [notOwner, { target: "#mediaLifecycle.deleted", actions: cancelSideJobs }],
    TOUCH_UP: sideJobChain<"TOUCH_UP">("touchUpEffects", ({ context, event }) => touchUpStep(context, state, event.step)),
    INGEST: sideJobChain<"INGEST">("ingestEffects", ({ context, event }) => ingestStep(context, state, event.step)),
  } as const;
}

const COMMANDS = ["UPLOAD_COMPLETE", "TRIGGER", "RETRY", "CANCEL", "DELETE"] as const satisfies readonly Command["type"][];
const JOB_EVENTS = ["COMPLETED", "FAILED", "TIMEOUT", "DISPATCHED", "DISPATCH_FAILED", "DISPATCH_UNCONFIRMED", "PLANNED", "REST_COMPLETED", "PUBLISHED"] as const satisfies readonly LifecycleEvent["type"][];

/** The same answer for each of these events. */
function each<K extends string, V>(keys: readonly K[], answer: V): Record<K, V> {
  // fromEntries cannot know that every key is there; `keys` says so.
  return Object.fromEntries(keys.map((k) => [k, answer])) as Record<K, V>;
}

/**
 * Deleted: the item exists for nobody. Every command answers as for an unknown item; callbacks
 * and the object's own events are acknowledged (a job still running is cancelled by the orphan rule).
 */
const deletedAnswers = {
  ...each(COMMANDS, { actions: refuse("NOT_FOUND", "No such media item") }),
  ...each(JOB_EVENTS, { actions: ignore("the item was deleted") }),
  PROGRESS: [orphanProgress, ...staleCallback, { actions: ignore("the item was deleted") }],
  CHUNK: orphanChunk,
  DELETED: { actions: ignore("already deleted") },
  TOUCH_UP: [
    { guard: ({ event }: Args<E<"TOUCH_UP">>) => event.step.kind === "request", actions: refuse("NOT_FOUND", "No such media item") },
    { actions: ignore("the item was deleted") },
  ],
  INGEST: [
    { guard: ({ event }: Args<E<"INGEST">>) => event.step.kind === "request", actions: refuse("NOT_FOUND", "No such media item") },
    { actions: ignore("the item was deleted") },
  ],
};

/** The machine's types, for `setup` (XState reads only their type; the value is never looked at). */
const types: { context: LifecycleContext; events: LifecycleEvent; input: LifecycleInput } = Object.create(null);

export const lifecycleMachine = setup({
  types,
  guards: {
    dispatchedFromFailed: ({ context }) => context.dispatchedFrom === "failed",
  },
  actions: {
    ...effectMarkers,
    ...outcomeMarkers,
    // An ingest that was copying is done with its upload.
    markUploaded: assign(({ context }) => ({ error: null, ...(context.ingest?.status === "running" ? { ingest: { ...context.ingest, status: "done" as const } } : {}) })),
    markDeleted: assign({ deadlineAt: null }),
    startAttempt: assign(({ context }, s: Start) => started(context, s)),
    recordJobId: assign((_, { jobId }: { jobId: string }) => ({ jobId, dispatchUnconfirmed: false })),
    recordUnconfirmedDispatch: assign({ dispatchUnconfirmed: true }),
    refundAttempt: assign(({ context }, error: KeptError) => refunded(context, error)),
    recordProgress: assign(({ context }, e: E<"PROGRESS">) => progressed(context, e)),
    rememberCancelled: assign(({ context }, { jobId }: { jobId: string | null }) => (jobId ? { cancelledJobIds: remember(context.cancelledJobIds, jobId, CANCELLED_JOB_LIMIT) } : {})),
    applyVerdict: assign(({ context }, { at, verdict }: { at: number; verdict: TimeoutVerdict }) => afterVerdict(context, at, verdict)),
    finishAttempt: assign(({ context }, f: Finish) => finished(context, f)),
    applySideJob: assign((_, change: Partial<LifecycleContext>) => change),
    applySplit: assign(({ context }, { event, step }: { event: SplitEvent; step: ReturnType<typeof splitStep> }) => afterSplit(context, event, step)),
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
    fanout: null,
    playableAt: null,
    playableSeconds: 0,
  }),
  initial: "uploading",
  states: {
    uploading: {
      on: {
        ...otherwise("uploading"),
        UPLOAD_COMPLETE: [
          notOwner,
          // The upload's bytes failed the checks at completion (size, first bytes): the reason is the event's.
          { guard: ({ event }) => !!event.rejected, actions: { type: "refuse", params: ({ event }) => ({ code: "UPLOAD_REJECTED", message: event.rejected ?? "" }) } },
          { guard: ({ event }) => !event.objectExists, actions: refuse("INPUT_MISSING", "The original has not been uploaded to storage yet") },
          { target: "uploaded", actions: "markUploaded" },
        ],
      },
    },
    uploaded: { on: { ...otherwise("uploaded"), TRIGGER: startChain() } },
    transcoding: {
      // Whatever ends the attempt gives its creator's job slot back (once: exit runs once per attempt).
      exit: { type: "releaseJobSlot", params: ({ context, event }) => ({ attemptId: context.attemptId ?? "", refund: event.type === "DISPATCH_FAILED" }) },
      on: {
        ...otherwise("transcoding"),
        DISPATCHED: [
          { guard: otherAttempt, actions: ignore("dispatch result for another attempt") },
          { actions: { type: "recordJobId", params: ({ event }) => ({ jobId: event.jobId }) } },
        ],
        DISPATCH_FAILED: [
          { guard: otherAttempt, actions: ignore("dispatch result for another attempt") },
          backToOrigin<E<"DISPATCH_FAILED">>(({ event }) => ({ code: "DISPATCH_FAILED", message: event.message, retriable: true })),
        ],
        DISPATCH_UNCONFIRMED: [
          { guard: otherAttempt, actions: ignore("dispatch result for another attempt") },
          { actions: "recordUnconfirmedDispatch" },
        ],
        PROGRESS: [
          orphanProgress,
          ...staleCallback,
          { guard: ({ context, event }) => event.percent < progressFloor(context), actions: ignore("progress going backwards") },
          { actions: { type: "recordProgress", params: ({ event }) => event } },
        ],
        PLANNED: [
          ...staleCallback,
          { guard: ({ context }) => !!context.fanout, actions: ignore("the split is planned already") },
          ...splitChain<E<"PLANNED">>(),
        ],
        CHUNK: [
          // Another attempt's chunk job still running (a retry began while it ran): cancelled, as an orphan.
          ...orphanChunk.map((t) => ({ ...t, guard: (a: Args<E<"CHUNK">>) => otherAttempt(a) && (!("guard" in t) || t.guard(a)) })),
          ...staleCallback,
          { guard: notSplitting, actions: ignore("no split in flight") },
          ...splitChain<E<"CHUNK">>(),
        ],
        REST_COMPLETED: [...staleCallback, { guard: notSplitting, actions: ignore("no split in flight") }, ...splitChain<E<"REST_COMPLETED">>()],
        PUBLISHED: [
          { guard: otherAttempt, actions: ignore("playlists published for another attempt") },
          { guard: notSplitting, actions: ignore("no split in flight") },
          ...splitChain<E<"PUBLISHED">>(),
        ],
        COMPLETED: [
          ...staleCallback,
          // A split video is finished by its stitch, never by a part.
          { guard: ({ context }) => splitting(context) !== null, actions: ignore("a split video completes with its stitch") },
          // Only the contract's keys for this item and attempt are ever stored (and later served).
          {
            guard: ({ context, event }) => foreignKeys(context, event.output).length > 0,
            actions: {
              type: "refuse",
              params: ({ context, event }) => ({ code: "INVALID_OUTPUT", message: `The completed callback names keys that are not this item's: ${foreignKeys(context, event.output).join(", ")}` }),
            },
          },
          { target: "ready", actions: finish<E<"COMPLETED">>(({ event }) => ({ at: event.at, output: event.output, jobId: event.jobId, seen: event.eventId })) },
        ],
        FAILED: [...staleCallback, { target: "failed", actions: [cancelChunks, finish<E<"FAILED">>(({ event }) => ({ at: event.at, error: event.error, jobId: event.jobId, seen: event.eventId }))] }],
        // The alarm's look at a job: one pure decision (./timeout.ts), here only where it leads.
        TIMEOUT: [
          // A split in flight is judged by each part's silence (./split.ts), not by one job's /status.
          ...splitChain<E<"TIMEOUT">>(({ context }) => splitting(context) !== null),
          { guard: verdictIs("origin"), ...backToOrigin<E<"TIMEOUT">>(({ context, event }) => unconfirmedError(context, event)) },
          { guard: verdictIs("ready"), target: "ready", actions: verdict },
          { guard: verdictIs("failed"), target: "failed", actions: verdict },
          { guard: verdictIs("stuck"), target: "failed", actions: [verdict, cancel] },
          { actions: verdict },
        ],
        CANCEL: [notOwner, adminOnly, { target: "failed", actions: [cancelChunks, finish<E<"CANCEL">>(({ event }) => ({ at: event.at, error: { code: "CANCELLED", message: "Cancelled by an administrator", retriable: true } })), cancel] }],
        DELETED: { target: "deleted", actions: [cancelChunks, cancel] },
        DELETE: [notOwner, { target: "deleted", actions: [cancelChunks, cancel] }],
      },
    },
    // Passed through, never rested in: an attempt that spent nothing goes back where it came from.
    returning: {
      always: [{ guard: "dispatchedFromFailed", target: "failed" }, { target: "uploaded" }],
    },
    ready: { on: otherwise("ready") },
    failed: {
      on: {
        ...otherwise("failed"),
        RETRY: startChain({ guard: ({ context }: Args<unknown>) => context.retriesUsed >= MAX_RETRIES, actions: refuse("RETRY_EXHAUSTED", `The retry is spent: an item may be retried ${MAX_RETRIES} time`) }),
      },
    },
    deleted: { entry: "markDeleted", on: deletedAnswers },
  },
});
