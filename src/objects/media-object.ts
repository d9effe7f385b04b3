import { DurableObject } from "cloudflare:workers";
import { transition } from "xstate";
import { jobInput, type CallbackPayload } from "../contract/index.ts";
import { configFrom, stuckJobBudgetMs, type Config } from "../config.ts";
import { DatabaseUnavailable } from "../db/client.ts";
import { ObjectStoreError, S3ObjectStore, type ObjectStore } from "../effects/object-store.ts";
import { PostgresProjector, type Projector } from "../effects/projector.ts";
import { RunpodDispatcher, type Dispatcher } from "../effects/runpod.ts";
import { log, timed } from "../log.ts";
import { lifecycleMachine, type Actor, type LifecycleEvent, type RunpodView } from "../machine/index.ts";
import type { Command, CommandResult } from "./commands.ts";
import { projectionRow } from "./projection-row.ts";
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
 * deadline and the next retry of a projection that has not reached Postgres.
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
    return this.withRecord(mediaId, async (rec) => {
      let event: LifecycleEvent;
      try {
        event = await this.eventFor(rec, command);
      } catch (error) {
        if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
        throw error;
      }
      const applied = await this.apply(rec, event);
      // One Postgres write per command, carrying the newest state (a dispatch's DISPATCHED
      // included); progress is left to the alarm, which writes it at most once a second.
      if (applied.rec.version !== rec.version && event.type !== "PROGRESS") this.ctx.waitUntil(this.flush());
      return applied.result;
    });
  }

  async status(mediaId: string, actor: Actor): Promise<CommandResult> {
    return this.withRecord(mediaId, async (rec) => {
      const mayRead = actor.kind === "service" || actor.role === "admin" || actor.userId === rec.context.creatorId;
      return mayRead ? { outcome: "applied", status: this.view(rec) } : { outcome: "unknown" };
    });
  }

  /** One event at a time, on the item's record; an unknown item or an unreachable database says so. */
  private withRecord(mediaId: string, fn: (rec: LifecycleRecord) => Promise<CommandResult>): Promise<CommandResult> {
    return this.serial(async () => {
      let rec: LifecycleRecord | null;
      try {
        rec = await this.load(mediaId);
      } catch (error) {
        if (error instanceof DatabaseUnavailable) return { outcome: "unavailable", message: "The database is unavailable; try again" };
        throw error;
      }
      return rec ? fn(rec) : { outcome: "unknown" };
    });
  }

  override async alarm(): Promise<void> {
    // A fired alarm is no longer set; time is recomputed from storage, never from memory.
    this.alarmAt = null;
    this.cache = null;
    await this.serial(async () => {
      const { rec } = await this.stored();
      const deadline = rec?.context.deadlineAt;
      if (rec && rec.value === "transcoding" && deadline !== null && deadline !== undefined && Date.now() >= deadline) {
        const jobId = rec.context.jobId;
        const runpod: RunpodView = jobId
          ? await timed("runpod.status", this.ids(rec), () => this.dispatcher.status(jobId), (v) => ({ runpodStatus: v.status }))
          : { status: "NOT_FOUND", result: null, detail: "the job was never accepted by RunPod" };
        await this.apply(rec, { type: "TIMEOUT", at: Date.now(), runpod });
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

  /** Turns a command into a machine event, gathering the facts its guards need (I/O lives here). */
  private async eventFor(rec: LifecycleRecord, command: Command): Promise<LifecycleEvent> {
    const at = Date.now();
    switch (command.type) {
      case "CALLBACK":
        return callbackEvent(command.payload, at);
      case "CANCEL":
        return { type: "CANCEL", actor: command.actor, at };
      case "UPLOAD_COMPLETE":
        return {
          type: "UPLOAD_COMPLETE",
          actor: command.actor,
          objectExists: rec.value === "uploading" ? await this.inputExists(rec) : false,
        };
      case "TRIGGER":
      case "RETRY": {
        const expected = command.type === "TRIGGER" ? "uploaded" : "failed";
        return {
          type: command.type,
          actor: command.actor,
          inputExists: rec.value === expected ? await this.inputExists(rec) : false,
          attemptId: crypto.randomUUID(),
          at,
          deadlineAt: at + stuckJobBudgetMs(this.config, rec.context.durationSeconds),
        };
      }
    }
  }

  private inputExists(rec: LifecycleRecord) {
    return timed("s3.head", this.ids(rec), () => this.store.exists(rec.context.inputKey), (exists) => ({ exists }));
  }

  /** Runs one pure transition; if it changed anything, persists it first, then carries out its effects. */
  private async apply(rec: LifecycleRecord, event: LifecycleEvent): Promise<Applied> {
    const snapshot = lifecycleMachine.resolveState({ value: rec.value, context: rec.context });
    const [next, actions] = transition(lifecycleMachine, snapshot, event);
    const refusal = actions.find((a) => a.type === "refuse")?.params as { code: never; message: string } | undefined;
    const ignored = actions.find((a) => a.type === "ignore")?.params as { reason: string } | undefined;
    if (refusal) {
      log("info", "refused", { ...this.ids(rec), event: event.type, state: rec.value, code: refusal.code, reason: refusal.message });
      return { rec, result: { outcome: "refused", ...refusal, status: this.view(rec) } };
    }
    if (ignored) {
      log("info", "ignored", { ...this.ids(rec), event: event.type, state: rec.value, reason: ignored.reason });
      return { rec, result: { outcome: "ignored", reason: ignored.reason, status: this.view(rec) } };
    }

    const nextRec: LifecycleRecord = { value: next.value as LifecycleRecord["value"], context: next.context, version: rec.version + 1 };
    const progressOnly = event.type === "PROGRESS";
    const due = progressOnly ? (await this.stored()).pending : null;
    const pending: PendingProjection = due
      ? { ...due, version: nextRec.version } // a write is already due; it will carry this state too
      : { version: nextRec.version, failures: 0, retryAt: Date.now() + (progressOnly ? PROGRESS_PROJECTION_MS : PROJECTION_GRACE_MS) };
    await this.persist(nextRec, pending);
    await this.armAlarm();
    log("info", "transition", { ...this.ids(nextRec), event: event.type, from: rec.value, to: nextRec.value, version: nextRec.version });

    let current: Applied = { rec: nextRec, result: { outcome: "applied", status: this.view(nextRec) } };
    for (const action of actions) {
      if (action.type === "dispatchJob") current = await this.dispatch(current.rec, (action.params as { attemptId: string }).attemptId);
      if (action.type === "cancelJob") await this.cancel(current.rec, (action.params as { jobId: string | null }).jobId);
    }
    return current;
  }

  // ---- effects -----------------------------------------------------------------------------

  private async dispatch(rec: LifecycleRecord, attemptId: string): Promise<Applied> {
    const c = rec.context;
    const budget = (c.deadlineAt ?? Date.now()) - (c.startedAt ?? Date.now());
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
        () => this.dispatcher.run(input, { executionTimeoutMs: budget, ttlMs: budget + 10 * 60_000 }),
        (r) => ({ jobId: r.jobId }),
      );
      event = { type: "DISPATCHED", attemptId, jobId };
    } catch (error) {
      event = { type: "DISPATCH_FAILED", attemptId, message: (error as Error).message };
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
    await timed("runpod.cancel", this.ids(rec), () => this.dispatcher.cancel(jobId)).catch(() => {});
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
    if (!rec || !pending) return;
    try {
      await timed(
        "postgres.project",
        { ...this.ids(rec), version: rec.version, status: rec.value },
        () => this.projector.write(rec.context.mediaId, rec.version, projectionRow(rec.value, rec.context)),
        (r) => ({ write: r }),
      );
      // Events may have moved on while the write was in flight: only what it carried is done.
      const now = await this.stored();
      if (now.pending && now.pending.version <= rec.version) await this.persist(now.rec, null);
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

function callbackEvent(p: CallbackPayload, at: number): LifecycleEvent {
  switch (p.status) {
    case "progress":
      return { type: "PROGRESS", attemptId: p.attemptId, eventId: p.eventId, phase: p.phase, percent: p.percent };
    case "completed":
      return { type: "COMPLETED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, output: p.output, at };
    case "failed":
      return { type: "FAILED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, error: p.error, at };
  }
}
