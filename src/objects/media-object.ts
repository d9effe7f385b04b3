import { DurableObject } from "cloudflare:workers";
import { transition } from "xstate";
import { jobInput, type CallbackPayload } from "../contract/index.ts";
import { configFrom, stuckJobBudgetMs, type Config } from "../config.ts";
import { DatabaseUnavailable } from "../db/client.ts";
import { ObjectStoreError, S3ObjectStore, type ObjectStore } from "../effects/object-store.ts";
import { PostgresProjector, type Projector } from "../effects/projector.ts";
import { DispatchError, RunpodDispatcher, type Dispatcher } from "../effects/runpod.ts";
import { log, timed } from "../log.ts";
import {
  lifecycleMachine,
  outcomeOf,
  type Actor,
  type Admission,
  type Effect,
  type LifecycleEvent,
  type RunpodView,
} from "../machine/index.ts";
import type { Command, CommandResult } from "./commands.ts";
import type { CreatorObject } from "./creator-object.ts";
import { projectionRow } from "../../schema/projection.ts";
import { recordFromRow, type LifecycleRecord, type PendingProjection } from "./record.ts";
import { statusView, type StatusView } from "./status-view.ts";

const LIFECYCLE = "lifecycle";
const PROJECTION = "projection";
/** A fresh projection is written at once; the alarm only steps in if that write never finishes. */
const PROJECTION_GRACE_MS = 5_000;
const PROJECTION_BACKOFF_MAX_MS = 60_000;
/**
 * Progress is projected at most this often (by the alarm), so a burst of progress callbacks
 * costs one Postgres write, not one each. Every other transition is written at once.
 */
const PROGRESS_PROJECTION_MS = 1_000;


type Applied = { rec: LifecycleRecord; result: CommandResult };

/**
 * One object per media item. It serialises every event, persists the machine's new snapshot
 * before carrying out any effect, and keeps exactly one alarm: the earlier of the stuck-job
 * check and the next retry of a projection that has not reached Postgres.
 */
export class MediaObject extends DurableObject<Env> {
  private readonly config: Config;
  private readonly dispatcher: Dispatcher;
  private readonly projector: Projector;
  private readonly store: ObjectStore;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * What storage holds, kept in step with every write (write-through): events read it from memory
   * instead of crossing into storage several times each. The alarm re-reads storage on every wake.
   */
  private cache: { rec: LifecycleRecord | null; pending: PendingProjection | null } | null = null;
  /** The alarm as last set or read; undefined until read. */
  private alarmAt: number | null | undefined = undefined;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  /** When the row was last seen not deleted (memory only: it only saves reads). */
  private notDeletedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = configFrom(env);
    this.dispatcher = new RunpodDispatcher(this.config.runpod);
    this.projector = new PostgresProjector(this.config);
    this.store = new S3ObjectStore(this.config.s3);
  }

  /** One event at a time: effects await the network, and nothing may interleave with them. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  async command(mediaId: string, command: Command): Promise<CommandResult> {
    return this.withRecord(mediaId, async (loaded) => {
      let event: LifecycleEvent;
      let admitted: string | null = null;
      let rec: LifecycleRecord;
      try {
        // A person's command first learns of a soft delete; that read runs beside gathering the
        // event's facts (S3, the creator's limits), so it costs no time of its own.
        const [current, gathered] = await Promise.all([
          command.type === "CALLBACK" ? loaded : this.noticeSoftDelete(loaded),
          this.eventFor(loaded, command),
        ]);
        rec = current;
        ({ event, admitted } = gathered);
      } catch (error) {
        if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
        throw error;
      }
      if (rec.value === "deleted") {
        if (admitted) await this.releaseSlot(rec, admitted, true);
        return { outcome: "unknown" };
      }
      const applied = await this.apply(rec, event);
      // A slot taken for an attempt that did not start (refused, or a stranger's trigger) goes back.
      if (admitted && !(applied.rec.value === "transcoding" && applied.rec.context.attemptId === admitted)) {
        await this.releaseSlot(rec, admitted, true);
      }
      // One Postgres write per command, carrying the newest state (a dispatch's DISPATCHED
      // included); progress is left to the alarm, which writes it at most once a second.
      if (applied.rec.version !== rec.version && event.type !== "PROGRESS") this.ctx.waitUntil(this.flush());
      return applied.result;
    });
  }

  async status(mediaId: string, actor: Actor): Promise<CommandResult> {
    return this.withRecord(mediaId, async (loaded) => {
      const rec = await this.noticeSoftDelete(loaded);
      if (rec.value === "deleted") return { outcome: "unknown" };
      const mayRead = actor.kind === "service" || actor.role === "admin" || actor.userId === rec.context.creatorId;
      return mayRead ? { outcome: "applied", status: this.view(rec) } : { outcome: "unknown" };
    });
  }

  /**
   * One event at a time, on the item's record; an unknown or deleted item, or an unreachable
   * database on first load, says so. People's requests then look at the row's soft delete (see
   * noticeSoftDelete), which the upload service may set at any time; callbacks skip that read:
   * the projection finds a deletion when it writes.
   */
  private withRecord(mediaId: string, fn: (rec: LifecycleRecord) => Promise<CommandResult>): Promise<CommandResult> {
    return this.serial(async () => {
      let rec: LifecycleRecord | null;
      try {
        rec = await this.load(mediaId);
      } catch (error) {
        if (error instanceof DatabaseUnavailable) return { outcome: "unavailable", message: "The database is unavailable; try again" };
        throw error;
      }
      return rec && rec.value !== "deleted" ? fn(rec) : { outcome: "unknown" };
    });
  }

  private async noticeSoftDelete(rec: LifecycleRecord): Promise<LifecycleRecord> {
    if (Date.now() - this.notDeletedAt < this.config.deletionCheckMs) return rec;
    let deleted: boolean | null;
    try {
      deleted = await timed("postgres.deleted", this.ids(rec), () => this.projector.isDeleted(rec.context.mediaId), (d) => ({ deleted: d }));
    } catch (error) {
      // The object is the source of truth and answers without Postgres; a deletion made meanwhile
      // is found by the next projection write, which then ends the item (and cancels its job).
      if (error instanceof DatabaseUnavailable) return rec;
      throw error;
    }
    if (deleted === false) {
      this.notDeletedAt = Date.now();
      return rec;
    }
    return (await this.apply(rec, { type: "DELETED", at: Date.now() })).rec;
  }

  override async alarm(): Promise<void> {
    // A fired alarm is no longer set; time is recomputed from storage, never from memory.
    this.alarmAt = null;
    this.cache = null;
    await this.serial(async () => {
      const { rec } = await this.stored();
      const due = rec?.context.deadlineAt;
      if (rec && rec.value === "transcoding" && due !== null && due !== undefined && Date.now() >= due) {
        const jobId = rec.context.jobId;
        const runpod: RunpodView = jobId
          ? await timed("runpod.status", this.ids(rec), () => this.dispatcher.status(jobId), (v) => ({ runpodStatus: v.status }))
          : { status: "NOT_FOUND", result: null, detail: "RunPod never confirmed the job" };
        const { stallSeconds, queueCeilingSeconds } = this.config.stuckJob;
        await this.apply(rec, { type: "TIMEOUT", at: Date.now(), runpod, policy: { stallMs: stallSeconds * 1000, queueCeilingMs: queueCeilingSeconds * 1000 } });
      }
    });
    await this.flush();
    await this.armAlarm();
  }

  // ---- state -------------------------------------------------------------------------------

  private async stored(): Promise<{ rec: LifecycleRecord | null; pending: PendingProjection | null }> {
    if (!this.cache) {
      const found = await this.ctx.storage.get<LifecycleRecord | PendingProjection>([LIFECYCLE, PROJECTION]);
      this.cache = { rec: (found.get(LIFECYCLE) as LifecycleRecord | undefined) ?? null, pending: (found.get(PROJECTION) as PendingProjection | undefined) ?? null };
    }
    return this.cache;
  }

  /** Writes the record and the pending projection (null deletes it), memory first: later reads see it at once. */
  private async persist(rec: LifecycleRecord | null, pending: PendingProjection | null): Promise<void> {
    const before = await this.stored();
    this.cache = { rec, pending };
    const puts: Record<string, unknown> = {};
    if (rec && rec !== before.rec) puts[LIFECYCLE] = rec;
    if (pending && pending !== before.pending) puts[PROJECTION] = pending;
    if (Object.keys(puts).length) await this.ctx.storage.put(puts);
    if (!pending && before.pending) await this.ctx.storage.delete(PROJECTION);
  }

  private async load(mediaId: string): Promise<LifecycleRecord | null> {
    const stored = await this.stored();
    if (stored.rec) return stored.rec;
    const row = await timed("postgres.load", { mediaId }, () => this.projector.load(mediaId), (r) => ({ found: !!r }));
    if (!row || row.deletedAt) return null;
    this.notDeletedAt = Date.now();
    const rec = recordFromRow(row);
    await this.persist(rec, stored.pending);
    return rec;
  }

  private view(rec: LifecycleRecord): StatusView {
    return statusView(rec.value, rec.context, rec.version);
  }

  private ids(rec: LifecycleRecord) {
    return { mediaId: rec.context.mediaId, attemptId: rec.context.attemptId, jobId: rec.context.jobId };
  }

  private creator(rec: LifecycleRecord): DurableObjectStub<CreatorObject> {
    return this.env.CREATOR_OBJECT.get(this.env.CREATOR_OBJECT.idFromName(rec.context.creatorId));
  }

  /**
   * Turns a command into a machine event, gathering the facts its guards need (I/O lives here).
   * `admitted` names the attempt for which a creator's job slot was taken.
   */
  private async eventFor(rec: LifecycleRecord, command: Command): Promise<{ event: LifecycleEvent; admitted: string | null }> {
    const at = Date.now();
    switch (command.type) {
      case "CALLBACK":
        return { event: callbackEvent(command.payload, at, this.config), admitted: null };
      case "CANCEL":
        return { event: { type: "CANCEL", actor: command.actor, at }, admitted: null };
      case "UPLOAD_COMPLETE":
        return {
          event: { type: "UPLOAD_COMPLETE", actor: command.actor, objectExists: rec.value === "uploading" ? await this.inputExists(rec) : false },
          admitted: null,
        };
      case "TRIGGER":
      case "RETRY": {
        const expected = command.type === "TRIGGER" ? "uploaded" : "failed";
        const attemptId = crypto.randomUUID();
        const inputExists = rec.value === expected ? await this.inputExists(rec) : false;
        // The creator's limits are asked only when the item could start; any other answer is decided by the machine.
        const admission: Admission = inputExists ? await this.admit(rec, attemptId) : { ok: true };
        return {
          event: {
            type: command.type,
            actor: command.actor,
            inputExists,
            admission,
            attemptId,
            at,
            // The first look at the job: a stall window after dispatch.
            deadlineAt: at + this.config.stuckJob.stallSeconds * 1000,
          },
          admitted: inputExists && admission.ok ? attemptId : null,
        };
      }
    }
  }

  private inputExists(rec: LifecycleRecord) {
    return timed("s3.head", this.ids(rec), () => this.store.exists(rec.context.inputKey), (exists) => ({ exists }));
  }

  private admit(rec: LifecycleRecord, attemptId: string): Promise<Admission> {
    return timed("creator.admit", this.ids(rec), async (): Promise<Admission> => (await this.creator(rec).admitJob(attemptId)) as Admission, (a) => ({ ok: a.ok }));
  }

  /** Runs one pure transition; if it changed anything, persists it first, then carries out its effects. */
  private async apply(rec: LifecycleRecord, event: LifecycleEvent): Promise<Applied> {
    const snapshot = lifecycleMachine.resolveState({ value: rec.value, context: rec.context });
    const [next, actions] = transition(lifecycleMachine, snapshot, event);
    const outcome = outcomeOf(actions);
    if (outcome.kind === "refused") {
      const { code, message } = outcome.refusal;
      // A completion naming another item's keys is someone forging or a bug: worth a warning.
      log(code === "INVALID_OUTPUT" ? "warn" : "info", "refused", { ...this.ids(rec), event: event.type, state: rec.value, code, reason: message });
      return { rec, result: { outcome: "refused", ...outcome.refusal, status: this.view(rec) } };
    }
    const changed = next.value !== rec.value || next.context !== snapshot.context;
    if (outcome.kind === "ignored") log("info", "ignored", { ...this.ids(rec), event: event.type, state: rec.value, reason: outcome.reason });
    if (!changed) return { rec, result: { outcome: "ignored", reason: outcome.kind === "ignored" ? outcome.reason : "no change", status: this.view(rec) } };

    const nextRec: LifecycleRecord = { value: next.value as LifecycleRecord["value"], context: next.context, version: rec.version + 1 };
    const progressOnly = event.type === "PROGRESS";
    const due = progressOnly ? (await this.stored()).pending : null;
    const pending: PendingProjection | null =
      nextRec.value === "deleted"
        ? null // a deleted item is never projected again
        : due
          ? { ...due, version: nextRec.version } // a write is already due; it will carry this state too
          : { version: nextRec.version, failures: 0, retryAt: Date.now() + (progressOnly ? PROGRESS_PROJECTION_MS : PROJECTION_GRACE_MS) };
    await this.persist(nextRec, pending);
    await this.armAlarm();
    if (outcome.kind === "applied") {
      log("info", "transition", { ...this.ids(nextRec), event: event.type, from: rec.value, to: nextRec.value, version: nextRec.version });
    }

    let current: Applied = {
      rec: nextRec,
      result: outcome.kind === "ignored" ? { outcome: "ignored", reason: outcome.reason, status: this.view(nextRec) } : { outcome: "applied", status: this.view(nextRec) },
    };
    for (const effect of outcome.effects) current = (await this.effects[effect.type](current, effect as never)) ?? current;
    return current;
  }

  // ---- effects: one handler per effect the machine names ------------------------------------

  private readonly effects: { [K in Effect["type"]]: (at: Applied, effect: Extract<Effect, { type: K }>) => Promise<Applied | void> } = {
    dispatchJob: (at, e) => this.dispatch(at.rec, e.params.attemptId),
    cancelJob: (at, e) => this.cancel(at.rec, e.params.jobId),
    // Not on the answer's path: the creator's counter learns of it just after.
    releaseJobSlot: async (at, e) => this.ctx.waitUntil(this.releaseSlot(at.rec, e.params.attemptId, e.params.refund)),
  };

  private async dispatch(rec: LifecycleRecord, attemptId: string): Promise<Applied> {
    const c = rec.context;
    // RunPod's own limit: it cannot know the duration either, so it gets the budget of an assumed length.
    const budget = stuckJobBudgetMs(this.config, c.durationSeconds);
    let event: LifecycleEvent;
    try {
      const input = jobInput.parse({
        contractVersion: 1,
        mediaId: c.mediaId,
        creatorId: c.creatorId,
        mediaType: c.mediaType,
        attemptId,
        inputKey: c.inputKey,
        webhookUrl: this.config.webhookUrl,
      });
      const { jobId } = await timed(
        "runpod.run",
        this.ids(rec),
        () => this.dispatcher.run(input, { executionTimeoutMs: budget, ttlMs: budget + this.config.stuckJob.queueCeilingSeconds * 1000 }),
        (r) => ({ jobId: r.jobId }),
      );
      event = { type: "DISPATCHED", attemptId, jobId };
    } catch (error) {
      const message = (error as Error).message;
      // No answer is not a refusal: RunPod may hold the job. Keep the attempt; its callbacks will tell.
      event = error instanceof DispatchError && error.ambiguous ? { type: "DISPATCH_UNCONFIRMED", attemptId, message } : { type: "DISPATCH_FAILED", attemptId, message };
    }
    const applied = await this.apply(rec, event);
    if (event.type === "DISPATCH_FAILED" && applied.result.outcome === "applied") {
      return { rec: applied.rec, result: { outcome: "dispatch_failed", message: event.message, status: applied.result.status } };
    }
    return applied;
  }

  private async cancel(rec: LifecycleRecord, jobId: string | null): Promise<void> {
    if (!jobId) return;
    // Best effort: the attempt is already over here, and its late callbacks will be ignored.
    await timed("runpod.cancel", { ...this.ids(rec), cancelledJobId: jobId }, () => this.dispatcher.cancel(jobId)).catch(() => {});
  }

  private async releaseSlot(rec: LifecycleRecord, attemptId: string, refund: boolean): Promise<void> {
    // Best effort: a slot that is never released expires with its lease in the creator's object.
    await timed("creator.release", { ...this.ids(rec), releasedAttemptId: attemptId, refund }, () =>
      this.creator(rec).releaseJob(attemptId, refund),
    ).catch(() => {});
  }

  /** Writes the newest state into Postgres; on failure leaves it pending for the alarm to retry. */
  private flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        await this.flushOnce();
      } while (this.flushAgain);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const { rec, pending } = await this.stored();
    if (!rec || !pending || rec.value === "deleted") return;
    const state = rec.value;
    try {
      const write = await timed(
        "postgres.project",
        { ...this.ids(rec), version: rec.version, status: state },
        () => this.projector.write(rec.context.mediaId, rec.version, projectionRow(state, rec.context)),
        (r) => ({ write: r }),
      );
      // Events may have moved on while the write was in flight: only what it carried is done.
      const now = await this.stored();
      if (now.pending && now.pending.version <= rec.version) await this.persist(now.rec, null);
      // The row was soft-deleted under us: the item ends here (a job in flight is cancelled).
      if (write === "deleted") {
        await this.serial(async () => {
          const latest = (await this.stored()).rec;
          if (latest && latest.value !== "deleted") await this.apply(latest, { type: "DELETED", at: Date.now() });
        });
      }
    } catch (error) {
      const now = await this.stored();
      const latest = now.pending ?? pending;
      const failures = latest.failures + 1;
      const backoff = Math.min(PROJECTION_BACKOFF_MAX_MS, 1000 * 2 ** (failures - 1));
      await this.persist(now.rec, { ...latest, failures, retryAt: Date.now() + backoff });
      log("warn", "projection pending", { ...this.ids(rec), version: rec.version, failures, retryInMs: backoff, error });
    }
    await this.armAlarm();
  }

  /** The one alarm, recomputed from what is stored: never from memory. */
  private async armAlarm(): Promise<void> {
    const { rec, pending } = await this.stored();
    const times = [rec?.value === "transcoding" ? rec.context.deadlineAt : null, pending?.retryAt ?? null].filter(
      (t): t is number => typeof t === "number",
    );
    const want = times.length ? Math.min(...times) : null;
    // Most events (progress) leave the alarm where it is: skip the write then.
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (want === this.alarmAt) return;
    this.alarmAt = want;
    if (want === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(want);
  }
}

function callbackEvent(p: CallbackPayload, at: number, config: Config): LifecycleEvent {
  switch (p.status) {
    case "progress": {
      // The worker reports the probed duration with its progress: the job's hard ceiling counts
      // from here, so time spent in RunPod's queue is not taken from the encode.
      const hardDeadlineAt = p.durationSeconds == null ? null : at + stuckJobBudgetMs(config, p.durationSeconds);
      return { type: "PROGRESS", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, phase: p.phase, percent: p.percent, at, hardDeadlineAt };
    }
    case "completed":
      return { type: "COMPLETED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, output: p.output, at };
    case "failed":
      return { type: "FAILED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, error: p.error, at };
  }
}
