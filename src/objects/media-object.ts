import { DurableObject } from "cloudflare:workers";
import { transition } from "xstate";
import { configFrom, type Config } from "../config.ts";
import { DatabaseUnavailable } from "../db/client.ts";
import { ObjectStoreError, S3ObjectStore, type ObjectStore } from "../effects/object-store.ts";
import { PostgresProjector, type Projector } from "../effects/projector.ts";
import { RunpodDispatcher, type Dispatcher } from "../effects/runpod.ts";
import { log, timed } from "../log.ts";
import { lifecycleMachine, mayAct, outcomeOf, type Actor, type Admission, type LifecycleEvent, type RunpodView } from "../machine/index.ts";
import { projectionRow } from "../../schema/projection.ts";
import { eventFor } from "./command-events.ts";
import type { Command, CommandResult, UploadAnswer } from "./commands.ts";
import { effectTable, idsOf, releaseSlot, type EffectDeps, type EffectTable } from "./effects.ts";
import { Outbox, outboxDueAt, type OutboxState, type OutboxStore } from "./outbox.ts";
import { PROJECTION_KEY, PROJECTION_RETRY, projectionAfter, type ProjectionDue } from "./projection-outbox.ts";
import { recordFromRow, type LifecycleRecord } from "./record.ts";
import { PURGE_KEY, PURGE_RETRY, purgeAfter, type PurgeTask } from "./purge-outbox.ts";
import { UPLOAD_KEY, type UploadSession } from "./upload-session.ts";
import { Uploads, type Declared } from "./uploads.ts";
import { deliveryLog, redeliver, sendWebhook, WEBHOOK_LOG_SIZE, WEBHOOK_TRIES_KEPT, WEBHOOKS_KEY, webhooksAfter, type DeliveryLogRow, type PlatformEvent } from "./webhook-outbox.ts";
import { RecordStore, type Upgrade } from "./record-store.ts";
import { LEGACY_KEYS, upgradeStored } from "./legacy-storage.ts";
import { statusView } from "./status-view.ts";
import { playbackFiles, type PlaybackFiles } from "./playback-files.ts";
import { outputKeys } from "../contract/index.ts";

/** What an item's object keeps: the lifecycle record, what it still owes Postgres, and what it owes the platform's subscribers. */
interface Stored extends Record<string, unknown> {
  lifecycle: LifecycleRecord;
  [PROJECTION_KEY]: OutboxState<ProjectionDue>;
  [WEBHOOKS_KEY]: OutboxState<PlatformEvent>;
  [PURGE_KEY]: OutboxState<PurgeTask>;
  [UPLOAD_KEY]: UploadSession;
}
type OutboxKey = typeof PROJECTION_KEY | typeof WEBHOOKS_KEY | typeof PURGE_KEY;

type Applied = { rec: LifecycleRecord; result: CommandResult };

/**
 * One object per media item. It serialises every event, persists the machine's new snapshot
 * (with the messages it owes) before carrying out any effect, and keeps exactly one alarm: the
 * earliest of the stuck-job check and the next retry of each outbox. Reading order: load,
 * transition, persist, run effects, schedule the alarm.
 */
export class MediaObject extends DurableObject<Env> {
  private readonly config: Config;
  private readonly projector: Projector;
  private readonly s3: ObjectStore;
  private readonly deps: EffectDeps;
  private readonly effects: EffectTable;
  private readonly store: RecordStore<Stored>;
  private readonly projection: Outbox<ProjectionDue>;
  private readonly webhooks: Outbox<PlatformEvent>;
  private readonly purge: Outbox<PurgeTask>;
  private readonly archive: ObjectStore | null;
  private readonly uploads: Uploads;
  private queue: Promise<unknown> = Promise.resolve();
  /** The alarm as last set or read; undefined until read. */
  private alarmAt: number | null | undefined = undefined;
  /** When the row was last seen not deleted (memory only: it only saves reads). */
  private notDeletedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = configFrom(env);
    this.projector = new PostgresProjector(this.config);
    this.s3 = new S3ObjectStore(this.config.s3);
    const dispatcher: Dispatcher = new RunpodDispatcher(this.config.runpod);
    this.deps = {
      config: this.config,
      dispatcher,
      creator: (rec) => env.CREATOR_OBJECT.get(env.CREATOR_OBJECT.idFromName(rec.context.creatorId)),
      background: (work) => ctx.waitUntil(work),
    };
    this.effects = effectTable(this.deps);
    this.archive = this.config.archive ? new S3ObjectStore(this.config.archive) : null;
    this.store = new RecordStore<Stored>(ctx.storage, ["lifecycle", PROJECTION_KEY, WEBHOOKS_KEY, PURGE_KEY, UPLOAD_KEY], {
      keys: LEGACY_KEYS,
      upgrade: upgradeStored as Upgrade<Stored>,
    });
    this.projection = new Outbox<ProjectionDue>({
      name: "projection",
      store: this.outboxStore(PROJECTION_KEY),
      policy: PROJECTION_RETRY,
      send: () => this.project(),
      logSize: 0,
      triesKept: 1,
    });
    const { platformWebhooks, platformWebhookRetry: retry } = this.config;
    this.webhooks = new Outbox<PlatformEvent>({
      name: "webhooks",
      store: this.outboxStore(WEBHOOKS_KEY),
      policy: { baseMs: retry.baseMs, maxMs: retry.maxMs, giveUpAfterMs: retry.giveUpAfterMs },
      send: (entry) => timed("webhook.deliver", { mediaId: entry.payload.data.mediaId, messageId: entry.id, type: entry.payload.type }, () => sendWebhook(platformWebhooks, entry, retry.timeoutMs), undefined, { quiet: true }),
      logSize: WEBHOOK_LOG_SIZE,
      triesKept: WEBHOOK_TRIES_KEPT,
    });
    this.uploads = new Uploads({
      config: this.config,
      s3: this.s3,
      declared: (mediaId) => timed("postgres.declared_size", { mediaId }, () => this.projector.load(mediaId)),
      session: async () => (await this.store.read())[UPLOAD_KEY],
      save: async (session) => {
        await this.store.update(() => ({ [UPLOAD_KEY]: session }));
        await this.armAlarm();
      },
    });
    this.purge = new Outbox<PurgeTask>({
      name: "purge",
      store: this.outboxStore(PURGE_KEY),
      policy: PURGE_RETRY,
      send: (entry) => this.purgeOne(entry.payload),
      logSize: 0,
      triesKept: 1,
    });
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
      let admitted: string | null;
      let rec: LifecycleRecord;
      try {
        // A person's command first learns of a soft delete; that read runs beside gathering the
        // event's facts (S3, the creator's limits), so it costs no time of its own.
        const [current, gathered] = await Promise.all([
          command.type === "CALLBACK" ? loaded : this.noticeSoftDelete(loaded),
          eventFor(loaded, command, {
            config: this.config,
            inputExists: (r) => timed("s3.head", idsOf(r), () => this.s3.exists(r.context.inputKey), (exists) => ({ exists })),
            finishUpload: (r, actor) => (r.value === "uploading" && mayAct(actor, r.context.creatorId) ? this.uploads.finish(r) : Promise.resolve({ objectExists: false, rejected: null })),
            admit: (r, attemptId) =>
              timed("creator.admit", idsOf(r), async () => (await this.deps.creator(r).admitJob(attemptId)) as Admission, (a) => ({ ok: a.ok })),
          }),
        ]);
        rec = current;
        ({ event, admitted } = gathered);
      } catch (error) {
        if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
        throw error;
      }
      if (rec.value === "deleted") {
        if (admitted) await releaseSlot(this.deps, rec, admitted, true);
        return { outcome: "unknown" };
      }
      const applied = await this.apply(rec, event);
      // A slot taken for an attempt that did not start (refused, or a stranger's trigger) goes back.
      if (admitted && !(applied.rec.value === "transcoding" && applied.rec.context.attemptId === admitted)) {
        await releaseSlot(this.deps, rec, admitted, true);
      }
      // One Postgres write per command, carrying the newest state (a dispatch's DISPATCHED
      // included); progress is left to the alarm, which writes it at most once a second.
      if (applied.rec.version !== rec.version && event.type !== "PROGRESS") this.ctx.waitUntil(this.flush([this.projection]));
      // A deletion answers once the row says so (lists stop showing it); the files go after.
      if (event.type === "DELETE" && applied.rec.value === "deleted") {
        await this.purge.flush(["postgres"]);
        this.ctx.waitUntil(this.flush([this.purge]));
        this.ctx.waitUntil(this.uploads.end(true));
      }
      return applied.result;
    });
  }

  async status(mediaId: string, actor: Actor): Promise<CommandResult> {
    return this.withRecord(mediaId, async (loaded) => {
      const rec = await this.noticeSoftDelete(loaded);
      if (rec.value === "deleted") return { outcome: "unknown" };
      const mayRead = actor.kind === "service" || actor.role === "admin" || actor.userId === rec.context.creatorId;
      return mayRead ? { outcome: "applied", status: view(rec) } : { outcome: "unknown" };
    });
  }

  override async alarm(): Promise<void> {
    // A fired alarm is no longer set; time is recomputed from storage, never from memory.
    this.alarmAt = null;
    this.store.forget();
    await this.serial(async () => {
      const rec = (await this.store.read()).lifecycle;
      const due = rec?.context.deadlineAt;
      if (rec && rec.value === "transcoding" && due !== null && due !== undefined && Date.now() >= due) {
        const jobId = rec.context.jobId;
        const runpod: RunpodView = jobId
          ? await timed("runpod.status", idsOf(rec), () => this.deps.dispatcher.status(jobId), (v) => ({ runpodStatus: v.status }))
          : { status: "NOT_FOUND", result: null, detail: "RunPod never confirmed the job" };
        const { stallSeconds, queueCeilingSeconds } = this.config.stuckJob;
        await this.apply(rec, { type: "TIMEOUT", at: Date.now(), runpod, policy: { stallMs: stallSeconds * 1000, queueCeilingMs: queueCeilingSeconds * 1000 } });
      }
      // An upload left unfinished past its TTL is aborted (S3 drops its parts); the item may start another.
      const session = (await this.store.read())[UPLOAD_KEY];
      if (session && Date.now() >= session.expiresAt) await this.uploads.end(true);
    });
    await this.flush([this.projection, this.webhooks, this.purge]);
  }

  // ---- resumable uploads (the work is ./uploads.ts; here, who may and in which state) ----------

  /**
   * Starts the item's multipart upload, or answers the one in progress (a client resuming).
   * Registration passes what it has just declared, which saves reading the row back.
   */
  async startUpload(mediaId: string, actor: Actor, declared?: Declared): Promise<UploadAnswer> {
    return this.withUploading(mediaId, actor, (rec) => this.uploads.start(rec, declared));
  }

  /** The upload and the parts already in storage: what a client that crashed needs to go on. */
  async uploadStatus(mediaId: string, actor: Actor): Promise<UploadAnswer> {
    return this.withSession(mediaId, actor, (rec, session) => this.uploads.status(rec, session));
  }

  /** Presigned PUT URLs for these parts, each bound to this upload of this key and part number. */
  async partUrls(mediaId: string, actor: Actor, partNumbers: number[]): Promise<UploadAnswer> {
    return this.withSession(mediaId, actor, (_rec, session) => this.uploads.partUrls(session, partNumbers));
  }

  private withUploading(mediaId: string, actor: Actor, fn: (rec: LifecycleRecord) => Promise<UploadAnswer>): Promise<UploadAnswer> {
    return this.withRecord<UploadAnswer>(mediaId, async (rec) => {
      if (!mayAct(actor, rec.context.creatorId)) return { outcome: "unknown" };
      if (rec.value !== "uploading") return { outcome: "refused", code: "INVALID_STATE", message: `The item is ${rec.value}: its original can no longer be uploaded or replaced`, status: view(rec) };
      try {
        return await fn(rec);
      } catch (error) {
        if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
        throw error;
      }
    });
  }

  private withSession(mediaId: string, actor: Actor, fn: (rec: LifecycleRecord, s: UploadSession) => Promise<UploadAnswer>): Promise<UploadAnswer> {
    return this.withUploading(mediaId, actor, async (rec) => {
      const session = (await this.store.read())[UPLOAD_KEY];
      if (!session || session.expiresAt <= Date.now()) return { outcome: "refused", code: "INVALID_STATE", message: "No upload is open for this item; start one (POST …/upload)", status: view(rec) };
      return fn(rec, session);
    });
  }

  /**
   * The files a viewer may fetch, for a ready item only (null otherwise: not ready, deleted, unknown).
   * From the stored record alone: a segment request costs no Postgres read.
   */
  async playback(mediaId: string): Promise<PlaybackFiles | null> {
    const rec = (await this.store.read()).lifecycle ?? (await this.serial(() => this.load(mediaId)).catch(() => null));
    if (!rec || rec.value !== "ready" || !rec.context.output || !rec.context.attemptId) return null;
    return playbackFiles(rec.context.output, outputKeys({ creatorId: rec.context.creatorId, mediaId, attemptId: rec.context.attemptId }).hlsRoot);
  }

  /** The item's webhook deliveries (queued, then settled newest first), for the dashboard. */
  async webhookLog(mediaId: string): Promise<DeliveryLogRow[] | null> {
    return this.serial(async () => {
      if (!(await this.load(mediaId).catch(() => null))) return null;
      return deliveryLog((await this.store.read())[WEBHOOKS_KEY]);
    });
  }

  /** Queues a logged message again, same webhook-id, to one subscriber (or each it went to); false if there is no such message. */
  async redeliverWebhook(mediaId: string, messageId: string, subscriber: string | null): Promise<boolean> {
    const queued = await this.serial(async () => {
      if (!(await this.load(mediaId).catch(() => null))) return false;
      let found = false;
      await this.store.update((now) => {
        const next = redeliver(now[WEBHOOKS_KEY], messageId, subscriber, Date.now());
        found = next !== null;
        return next ? { [WEBHOOKS_KEY]: next } : {};
      });
      return found;
    });
    if (queued) this.ctx.waitUntil(this.flush([this.webhooks]));
    return queued;
  }

  // ---- load ---------------------------------------------------------------------------------

  /**
   * One event at a time, on the item's record; an unknown or deleted item, or an unreachable
   * database on first load, says so. People's requests then look at the row's soft delete (see
   * noticeSoftDelete), which the upload service may set at any time; callbacks skip that read:
   * the projection finds a deletion when it writes.
   */
  private withRecord<R extends { outcome: string } = CommandResult>(mediaId: string, fn: (rec: LifecycleRecord) => Promise<R>): Promise<R | Extract<CommandResult, { outcome: "unknown" | "unavailable" }>> {
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

  /** The stored record, or the first one, made from the row the upload service wrote. */
  private async load(mediaId: string): Promise<LifecycleRecord | null> {
    const stored = (await this.store.read()).lifecycle;
    if (stored) return stored;
    const row = await timed("postgres.load", { mediaId }, () => this.projector.load(mediaId), (r) => ({ found: !!r }));
    if (!row || row.deletedAt) return null;
    this.notDeletedAt = Date.now();
    const rec = recordFromRow(row);
    await this.store.update(() => ({ lifecycle: rec }));
    return rec;
  }

  private async noticeSoftDelete(rec: LifecycleRecord): Promise<LifecycleRecord> {
    if (Date.now() - this.notDeletedAt < this.config.deletionCheckMs) return rec;
    let deleted: boolean | null;
    try {
      deleted = await timed("postgres.deleted", idsOf(rec), () => this.projector.isDeleted(rec.context.mediaId), (d) => ({ deleted: d }));
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

  // ---- transition, persist, effects ---------------------------------------------------------

  /**
   * Runs one pure transition; if it changed anything, persists the new record and the messages
   * it owes in one write, schedules the alarm, then carries out the effects. An effect's outcome
   * (a dispatch's DISPATCHED) is the next event, applied the same way.
   */
  private async apply(rec: LifecycleRecord, event: LifecycleEvent): Promise<Applied> {
    const snapshot = lifecycleMachine.resolveState({ value: rec.value, context: rec.context });
    const [next, actions] = transition(lifecycleMachine, snapshot, event);
    const outcome = outcomeOf(actions);
    if (outcome.kind === "refused") {
      const { code, message } = outcome.refusal;
      // A completion naming another item's keys is someone forging or a bug: worth a warning.
      log(code === "INVALID_OUTPUT" ? "warn" : "info", "refused", { ...idsOf(rec), event: event.type, state: rec.value, code, reason: message });
      return { rec, result: { outcome: "refused", ...outcome.refusal, status: view(rec) } };
    }
    const changed = next.value !== rec.value || next.context !== snapshot.context;
    if (outcome.kind === "ignored") log("info", "ignored", { ...idsOf(rec), event: event.type, state: rec.value, reason: outcome.reason });
    if (!changed) return { rec, result: { outcome: "ignored", reason: outcome.kind === "ignored" ? outcome.reason : "no change", status: view(rec) } };

    const nextRec: LifecycleRecord = { value: next.value as LifecycleRecord["value"], context: next.context, version: rec.version + 1 };
    const at = Date.now();
    // The record and every message it owes change in one write, before anyone is answered.
    let told = false;
    await this.store.update((now) => {
      const webhooks = webhooksAfter(now[WEBHOOKS_KEY], this.config.platformWebhooks, rec, nextRec, event, at);
      told = webhooks !== now[WEBHOOKS_KEY];
      return {
        lifecycle: nextRec,
        [PROJECTION_KEY]: projectionAfter(now[PROJECTION_KEY], nextRec, event, at),
        [WEBHOOKS_KEY]: webhooks,
        [PURGE_KEY]: purgeAfter(now[PURGE_KEY], rec, nextRec, event, at, this.archive !== null),
      };
    });
    await this.armAlarm();
    // Subscribers are told at once, off the answer's path (the alarm retries what fails).
    if (told) this.ctx.waitUntil(this.flush([this.webhooks]));
    if (outcome.kind === "applied") log("info", "transition", { ...idsOf(nextRec), event: event.type, from: rec.value, to: nextRec.value, version: nextRec.version });

    let current: Applied = {
      rec: nextRec,
      result: outcome.kind === "ignored" ? { outcome: "ignored", reason: outcome.reason, status: view(nextRec) } : { outcome: "applied", status: view(nextRec) },
    };
    for (const effect of outcome.effects) {
      const followUp = await this.effects[effect.type](current.rec, effect.params as never);
      if (!followUp) continue;
      const applied = await this.apply(current.rec, followUp);
      // A refused dispatch changes nothing the caller asked for: say so instead of "applied".
      current =
        followUp.type === "DISPATCH_FAILED" && applied.result.outcome === "applied"
          ? { rec: applied.rec, result: { outcome: "dispatch_failed", message: followUp.message, status: applied.result.status } }
          : applied;
    }
    return current;
  }

  // ---- outboxes and the alarm ---------------------------------------------------------------

  private outboxStore<K extends OutboxKey>(key: K): OutboxStore<Stored[K] extends OutboxState<infer T> ? T : never> {
    return {
      read: async () => (await this.store.read())[key] as never,
      update: async (change) => {
        await this.store.update((now) => ({ [key]: change(now[key] as never) }) as never);
      },
    };
  }

  private async flush(outboxes: Outbox<any>[]): Promise<void> {
    await Promise.all(outboxes.map((o) => o.flush()));
    await this.armAlarm();
  }

  /** The projection's one send: the newest state, whatever version queued it. */
  private async project() {
    const rec = (await this.store.read()).lifecycle;
    if (!rec || rec.value === "deleted") return { ok: true as const };
    const state = rec.value;
    const write = await timed(
      "postgres.project",
      { ...idsOf(rec), version: rec.version, status: state },
      () => this.projector.write(rec.context.mediaId, rec.version, projectionRow(state, rec.context)),
      (r) => ({ write: r }),
    );
    // The row was soft-deleted under us: the item ends here (a job in flight is cancelled).
    if (write === "deleted") {
      await this.serial(async () => {
        const latest = (await this.store.read()).lifecycle;
        if (latest && latest.value !== "deleted") await this.apply(latest, { type: "DELETED", at: Date.now() });
      });
    }
    return { ok: true as const };
  }

  /** One task of a deletion: the row's deletedAt, or one folder of one bucket. */
  private async purgeOne(task: PurgeTask) {
    const rec = (await this.store.read()).lifecycle;
    const mediaId = rec?.context.mediaId ?? "";
    if (task.kind === "row") {
      await timed("postgres.mark_deleted", { mediaId }, () => this.projector.markDeleted(mediaId));
    } else {
      const store = task.bucket === "media" ? this.s3 : this.archive;
      if (store) await timed("s3.delete_prefix", { mediaId, bucket: task.bucket, prefix: task.prefix }, () => store.deletePrefix(task.prefix), (n) => ({ deleted: n }));
    }
    return { ok: true as const };
  }

  /** The one alarm, recomputed from what is stored: never from memory. */
  private async armAlarm(): Promise<void> {
    const stored = await this.store.read();
    const rec = stored.lifecycle;
    const times = [rec?.value === "transcoding" ? rec.context.deadlineAt : null, outboxDueAt(stored[PROJECTION_KEY]), outboxDueAt(stored[WEBHOOKS_KEY]), outboxDueAt(stored[PURGE_KEY]), rec?.value === "uploading" ? (stored[UPLOAD_KEY]?.expiresAt ?? null) : null].filter(
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

const view = (rec: LifecycleRecord) => statusView(rec.value, rec.context, rec.version);
