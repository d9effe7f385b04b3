import { ingestDeadline } from "../machine/ingest.ts";
import { touchUpDeadline } from "../machine/touch-up.ts";
import type { LifecycleContext, LifecycleEvent } from "../machine/index.ts";
import { outboxDueAt, type OutboxUser } from "./outbox.ts";
import type { Stored } from "./stored.ts";
import { UPLOAD_KEY } from "./upload-session.ts";

/**
 * When the object's one alarm must next fire, from what is stored alone: the stuck-job check of
 * a job in flight, the expiry of an open upload, and the next try of every outbox.
 */
export function wakeAt(stored: Readonly<Partial<Stored>>, users: readonly OutboxUser<unknown>[]): number | null {
  const rec = stored.lifecycle;
  const times = [
    rec?.value === "transcoding" ? rec.context.deadlineAt : null,
    rec?.value === "uploading" ? (stored[UPLOAD_KEY]?.expiresAt ?? null) : null,
    rec ? touchUpDeadline(rec.context) : null,
    rec?.value === "uploading" ? ingestDeadline(rec.context) : null,
    ...users.map((u) => outboxDueAt(stored[u.key])),
  ].filter((t): t is number => typeof t === "number");
  return times.length ? Math.min(...times) : null;
}

/** Whether the stuck-job check of the job in flight is due. */
export const jobCheckDue = (stored: Readonly<Partial<Stored>>, now: number) => {
  const rec = stored.lifecycle;
  return rec?.value === "transcoding" && rec.context.deadlineAt !== null && now >= rec.context.deadlineAt;
};

/** The side jobs (a touch-up, an ingest) past their window: the alarm's look at each, as events. */
export function sideJobTimeouts(c: LifecycleContext, now: number): LifecycleEvent[] {
  const due = (at: number | null) => at !== null && now >= at;
  return [
    ...(due(touchUpDeadline(c)) ? [{ type: "TOUCH_UP" as const, step: { kind: "timeout" as const, at: now } }] : []),
    ...(due(ingestDeadline(c)) ? [{ type: "INGEST" as const, step: { kind: "timeout" as const, at: now } }] : []),
  ];
}

/** The object's one alarm as last set or read, so that an unchanged time costs no storage write. */
export class AlarmClock {
  /** undefined until read. */
  private at: number | null | undefined = undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** A fired alarm is no longer set. */
  fired(): void {
    this.at = null;
  }

  async set(want: number | null): Promise<void> {
    // Most events (progress) leave the alarm where it is: skip the write then.
    if (this.at === undefined) this.at = await this.storage.getAlarm();
    if (want === this.at) return;
    this.at = want;
    if (want === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(want);
  }
}
