import { DurableObject } from "cloudflare:workers";
import { ObjectStoreError } from "../clients/object-store.ts";
import { log } from "../log.ts";
import { decide, mayAct, type Actor, type LifecycleEvent } from "../machine/index.ts";
import { draftFor, heldSlot, timeoutEvent } from "./command-events.ts";
import { answerOf, type Command, type CommandResult, type UploadAnswer } from "./commands.ts";
import { releaseSlot } from "./effects.ts";
import { fillOutboxes, type Outbox, type Transition } from "./outbox.ts";
import { playbackOf, type PlaybackFiles } from "./playback-files.ts";
import { idsOf, type LifecycleRecord } from "./record.ts";
import { statusView } from "./status-view.ts";
import type { UploadAsk } from "./uploads.ts";
import { AlarmClock, jobCheckDue, sideJobTimeouts, wakeAt } from "./wake-ups.ts";
import { deliveryLog, redeliver, type DeliveryLogRow } from "./webhook-outbox.ts";
import { wire, type Wiring } from "./wiring.ts";

type Applied = { rec: LifecycleRecord; result: CommandResult };
const view = (rec: LifecycleRecord) => statusView(rec.value, rec.context, rec.version);

/**
 * One object per media item. It serialises every event, persists the machine's new snapshot with
 * everything it owes (./outbox.ts users, listed in ./wiring.ts) before carrying out any effect, and
 * keeps one alarm (./wake-ups.ts). Reading order: load, transition, persist, run effects, schedule.
 */
export class MediaObject extends DurableObject<Env> {
  private readonly w: Wiring;
  private queue: Promise<unknown> = Promise.resolve();
  /** Outboxes that the current event filled and that send at once, when the event is done. */
  private owed = new Set<Outbox<unknown>>();
  private readonly clock = new AlarmClock(this.ctx.storage);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.w = wire(ctx, env, () => this.armAlarm());
  }

  /** One event at a time: effects await the network, and nothing may interleave with them. What it owes goes out after. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run.finally(() => {
      if (!this.owed.size) return;
      const owed = [...this.owed];
      this.owed.clear();
      this.ctx.waitUntil(this.deliver(owed));
    });
  }

  async command(mediaId: string, command: Command): Promise<CommandResult> {
    return this.withRecord(mediaId, async (loaded) => {
      // The pure machine judges the draft first: facts (an upload completed, a job slot taken)
      // are gathered only for an event it would accept. A person's command also looks at the
      // row's soft delete, beside that, so the read costs no time of its own.
      const { draft, gather } = draftFor(loaded, command, this.w.facts);
      let rec: LifecycleRecord, event: LifecycleEvent;
      try {
        [rec, event] = await Promise.all([
          command.type === "CALLBACK" ? loaded : this.noticeSoftDelete(loaded),
          gather && decide(loaded, draft).outcome.kind !== "refused" ? gather() : draft,
        ]);
      } catch (error) {
        if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
        throw error;
      }
      // Deleted while its facts were gathered: a slot taken for it goes back.
      const held = event !== draft ? heldSlot(event) : null;
      if (rec.value === "deleted") {
        if (held) await releaseSlot(this.w.deps, rec, held, true);
        return { outcome: "unknown" };
      }
      const applied = await this.apply(rec, event);
      if (event.type === "DELETE" && applied.rec.value === "deleted") this.ctx.waitUntil(this.w.uploads.end(true));
      // An original copied from a URL that was asked to be transcoded: triggered for its owner
      // (the creator's limits apply; a refusal leaves it `uploaded`, to trigger later).
      const copied = applied.rec.context.ingest;
      if (command.type === "CALLBACK" && event.type === "UPLOAD_COMPLETE" && applied.rec.value === "uploaded" && copied?.status === "done" && copied.transcode) {
        this.ctx.waitUntil(this.command(mediaId, { type: "TRIGGER", actor: { kind: "user", userId: applied.rec.context.creatorId, role: "creator" } }).catch(() => {}));
      }
      return applied.result;
    });
  }

  async status(mediaId: string, actor: Actor): Promise<CommandResult> {
    return this.withRecord(mediaId, async (loaded) => {
      const rec = await this.noticeSoftDelete(loaded);
      return rec.value !== "deleted" && mayAct(actor, rec.context.creatorId) ? { outcome: "applied", status: view(rec) } : { outcome: "unknown" };
    });
  }

  override async alarm(): Promise<void> {
    // A fired alarm is no longer set; time is recomputed from storage, never from memory.
    this.clock.fired();
    this.w.store.forget();
    await this.serial(async () => {
      const stored = await this.w.store.read();
      let rec = stored.lifecycle;
      if (rec && jobCheckDue(stored, Date.now())) rec = (await this.apply(rec, await timeoutEvent(rec, this.w.facts))).rec;
      // A side job (a touch-up, an ingest) past its window is given up on, its job cancelled.
      for (const event of rec ? sideJobTimeouts(rec.context, Date.now()) : []) rec = (await this.apply(rec!, event)).rec;
      await this.w.uploads.expire(Date.now());
    });
    await this.deliver(this.w.outboxes);
  }

  /** The item's resumable upload: open it (or answer the open one), list its parts, presign part URLs (./uploads.ts decides who may and when). */
  async upload(mediaId: string, actor: Actor, ask: UploadAsk): Promise<UploadAnswer> {
    return this.withRecord<UploadAnswer>(mediaId, (rec) => this.w.uploads.ask(rec, actor, ask));
  }

  /** The files a viewer may fetch: a ready item's, from the stored record; the row's soft delete is looked at as for any request. */
  async playback(mediaId: string): Promise<PlaybackFiles | null> {
    const stored = (await this.w.store.read()).lifecycle;
    if (stored && !this.w.loader.deletionCheckDue()) return playbackOf(stored);
    return this.live(mediaId, async (rec) => playbackOf(rec)).catch(() => null);
  }

  /** The item's webhook deliveries (queued, then settled newest first), for the dashboard; null for an unknown or deleted item. */
  async webhookLog(mediaId: string): Promise<DeliveryLogRow[] | null> {
    return this.live(mediaId, async () => deliveryLog(await this.w.webhooks.read()));
  }

  /** Queues a logged message again, same webhook-id, to one subscriber (or each it went to); false if there is no such message. */
  async redeliverWebhook(mediaId: string, messageId: string, subscriber: string | null): Promise<boolean> {
    const queued = await this.live(mediaId, () => this.w.webhooks.change((now) => redeliver(now, messageId, subscriber, Date.now()) ?? now));
    if (queued) this.ctx.waitUntil(this.deliver([this.w.webhooks]));
    return queued ?? false;
  }

  /** `fn` on an item that is still there once the row's soft delete has been looked at; null for an unknown, deleted or unloadable one. */
  private async live<T>(mediaId: string, fn: (rec: LifecycleRecord) => Promise<T>): Promise<T | null> {
    const answer = await this.withRecord(mediaId, async (loaded) => {
      const rec = await this.noticeSoftDelete(loaded);
      return rec.value === "deleted" ? { outcome: "gone" as const } : { outcome: "live" as const, value: await fn(rec) };
    });
    return answer.outcome === "live" ? answer.value : null;
  }

  /** One event at a time, on the item's record; an unknown or deleted item, or an unreachable database on first load, says so. */
  private withRecord<R extends { outcome: string } = CommandResult>(mediaId: string, fn: (rec: LifecycleRecord) => Promise<R>): Promise<R | Extract<CommandResult, { outcome: "unknown" | "unavailable" }>> {
    return this.serial(async () => {
      const rec = await this.w.loader.loadOr(mediaId, "unavailable" as const);
      if (rec === "unavailable") return { outcome: "unavailable", message: "The database is unavailable; try again" };
      return rec && rec.value !== "deleted" ? fn(rec) : { outcome: "unknown" };
    });
  }

  /** A person's request first learns of a soft delete of the row, which ends the item here. */
  private async noticeSoftDelete(rec: LifecycleRecord): Promise<LifecycleRecord> {
    return (await this.w.loader.rowDeleted(rec)) ? (await this.apply(rec, { type: "DELETED", at: Date.now() })).rec : rec;
  }

  /**
   * Runs one pure transition; if it changed anything, persists the new record and everything it
   * owes in one write, schedules the alarm, then carries out the effects. An effect's outcome (a
   * dispatch's DISPATCHED) is the next event, applied the same way.
   */
  private async apply(rec: LifecycleRecord, event: LifecycleEvent): Promise<Applied> {
    const { next, outcome, changed } = decide(rec, event);
    if (outcome.kind === "refused") {
      const { code, message } = outcome.refusal;
      // A completion naming another item's keys is someone forging or a bug: worth a warning.
      log(code === "INVALID_OUTPUT" ? "warn" : "info", "refused", { ...idsOf(rec), event: event.type, state: rec.value, code, reason: message });
      return { rec, result: { outcome: "refused", ...outcome.refusal, status: view(rec) } };
    }
    if (outcome.kind === "ignored") log("info", "ignored", { ...idsOf(rec), event: event.type, state: rec.value, reason: outcome.reason });
    if (!changed) {
      // Acknowledged without a change, it may still owe a cancel (a superseded chunk try's job).
      if (outcome.kind === "ignored") for (const effect of outcome.effects) await this.w.effects[effect.type](rec, effect.params as never);
      return { rec, result: { outcome: "ignored", reason: outcome.kind === "ignored" ? outcome.reason : "no change", status: view(rec) } };
    }

    const t: Transition = { prev: rec, next: { ...next, version: rec.version + 1 }, event, at: Date.now() };
    // The record and every message it owes change in one write, before anyone is answered.
    let owes: ReturnType<typeof fillOutboxes> | null = null;
    await this.w.store.update((stored) => {
      owes = fillOutboxes(this.w.outboxes, stored, t);
      return { lifecycle: t.next, ...owes.change };
    });
    const { filled, now, afterEvent } = owes!;
    await this.armAlarm();
    if (now.length) this.ctx.waitUntil(this.deliver(now));
    if (outcome.kind === "applied") log("info", "transition", { ...idsOf(t.next), event: event.type, from: rec.value, to: t.next.value, version: t.next.version });

    let current: Applied = { rec: t.next, result: answerOf(outcome, view(t.next)) };
    for (const effect of outcome.effects) {
      const answered = await this.w.effects[effect.type](current.rec, effect.params as never);
      for (const followUp of answered ? [answered].flat() : []) {
        const applied = await this.apply(current.rec, followUp);
        // A refused dispatch changes nothing the caller asked for: say so instead of "applied".
        if (followUp.type === "DISPATCH_FAILED" && applied.result.outcome === "applied") current = { rec: applied.rec, result: { outcome: "dispatch_failed", message: followUp.message, status: applied.result.status } };
        // A chunk's dispatch, a publish: the object's own business; the callback that caused it was applied.
        else if (followUp.type === "CHUNK" || followUp.type === "PUBLISHED") current = { rec: applied.rec, result: current.result.outcome === "applied" || current.result.outcome === "ignored" ? { ...current.result, status: view(applied.rec) } : current.result };
        else current = applied;
      }
    }
    for (const o of filled) if (o.user.beforeAnswer) await o.flush(o.user.beforeAnswer);
    for (const o of afterEvent) this.owed.add(o);
    return current;
  }

  /** Sends what these outboxes hold, then applies what their sends learnt (a row found deleted), one event at a time. */
  private async deliver(outboxes: Outbox<unknown>[]): Promise<void> {
    const followUps = (await Promise.all(outboxes.map((o) => o.flush()))).flat();
    for (const event of followUps) {
      await this.serial(async () => {
        const latest = (await this.w.store.read()).lifecycle;
        if (latest) await this.apply(latest, event);
      });
    }
    await this.armAlarm();
  }

  /** The one alarm, recomputed from what is stored: never from memory. */
  private async armAlarm(): Promise<void> {
    await this.clock.set(wakeAt(await this.w.store.read(), this.w.outboxes.map((o) => o.user)));
  }
}
