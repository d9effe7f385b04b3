import { backoffMs } from "../contract/index.ts";
import { log } from "../log.ts";
import type { LifecycleEvent } from "../machine/index.ts";
import type { LifecycleRecord } from "./record.ts";

/**
 * An outbox: messages an object owes to someone else (the projection owes Postgres its newest
 * state; the platform's webhooks owe each subscriber every state change), kept in the object's
 * storage beside the state that produced them, so a crash loses none. Messages travel in lanes
 * (one per destination): in order within a lane, a failed head holds back the rest of its lane
 * and is retried with exponential backoff from the object's alarm. The state is plain data; the
 * `Outbox` class only adds the sending.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** An entry failing after this long since it was queued is given up (null: never). */
  giveUpAfterMs: number | null;
}

export interface Attempt {
  at: number;
  ms: number;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  error: string | null;
}

export interface Entry<T> {
  id: string;
  lane: string;
  payload: T;
  createdAt: number;
  failures: number;
  /** When the alarm next tries this entry (the head of its lane); a flush may try it sooner. */
  nextAt: number;
  /** The newest tries, newest last (a few are kept, for the delivery log). */
  tries: Attempt[];
}

export interface Settled<T> extends Entry<T> {
  outcome: "delivered" | "given_up";
  settledAt: number;
}

export interface OutboxState<T> {
  entries: Entry<T>[];
  /** Settled entries, newest last, capped (empty for an outbox that keeps no log). */
  log: Settled<T>[];
}

export type Delivery = { ok: true; status?: number } | { ok: false; status?: number; error: string };
/** A send's answer: the delivery, and the event it learnt of, for the object to apply next (a row found deleted). */
export type Sent = Delivery & { followUp?: LifecycleEvent };

export const emptyOutbox = <T>(): OutboxState<T> => ({ entries: [], log: [] });

export interface Enqueue<T> {
  id: string;
  lane: string;
  payload: T;
  /** The first try, by the alarm, if no flush sends it sooner. */
  nextAt: number;
}

/**
 * Adds messages to the outbox (pure). `replace` drops the queued entries of the same lane that it
 * returns true for: a newer message that makes them pointless (the projection keeps only the
 * newest version; a progress report supersedes an unsent one).
 */
export function enqueue<T>(state: OutboxState<T> | undefined, add: Enqueue<T>[], at: number, replace?: (queued: Entry<T>, added: Enqueue<T>) => boolean): OutboxState<T> {
  let entries = [...(state?.entries ?? [])];
  for (const a of add) {
    if (replace) entries = entries.filter((e) => e.lane !== a.lane || !replace(e, a));
    entries.push({ id: a.id, lane: a.lane, payload: a.payload, createdAt: at, failures: 0, nextAt: a.nextAt, tries: [] });
  }
  return { entries, log: state?.log ?? [] };
}

/** When the alarm must next wake for this outbox: the earliest head of a lane. */
export function outboxDueAt<T>(state: OutboxState<T> | undefined): number | null {
  const heads = lanesOf(state).map((lane) => state!.entries.find((e) => e.lane === lane)!.nextAt);
  return heads.length ? Math.min(...heads) : null;
}

function lanesOf<T>(state: OutboxState<T> | undefined): string[] {
  return [...new Set((state?.entries ?? []).map((e) => e.lane))];
}

/** A state with nothing queued and nothing logged is stored as no key at all. */
const orNull = <T>(s: OutboxState<T>): OutboxState<T> | null => (s.entries.length || s.log.length ? s : null);

export interface OutboxStore<T> {
  read(): Promise<OutboxState<T> | undefined>;
  /** Writes the change computed from the newest state (null removes the outbox's key). */
  update(change: (now: OutboxState<T> | undefined) => OutboxState<T> | null): Promise<void>;
}

/** One committed transition, as the outboxes see it. */
export interface Transition {
  prev: LifecycleRecord;
  next: LifecycleRecord;
  event: LifecycleEvent;
  at: number;
}

/**
 * A user of the mechanism: one outbox of an item's object. The object keeps a list of these and
 * loops over it to store, fill, send and wake; a new outbox is one file and one list entry.
 */
export interface OutboxUser<T> {
  name: string;
  /** Its storage key, beside the lifecycle record. */
  key: `outbox:${string}`;
  policy: RetryPolicy;
  /** How many settled entries to keep for the log (0: none). */
  logSize: number;
  /** How many tries each entry remembers. */
  triesKept: number;
  /** Pure: the outbox after a transition (null: the key goes; the same state: nothing owed). */
  after(state: OutboxState<T> | undefined, t: Transition): OutboxState<T> | null | undefined;
  /**
   * When what this transition queued is first tried: `now`, right after the write (off the
   * answer's path); `after-event` (the default), once the whole event is done, so one send carries
   * what its follow-ups changed too; or `alarm`, leaving it to the alarm's next wake.
   */
  sendWhen?(t: Transition): "now" | "after-event" | "alarm";
  /** Lanes that must have landed before the event's caller is answered (their sends answer no follow-up). */
  beforeAnswer?: string[];
  /** One try of one entry; a throw counts as a failed try. */
  send(entry: Entry<T>): Promise<Sent>;
}

/**
 * Sends what an outbox holds: lane heads in parallel, each lane in order; one flush at a time.
 * A flush answers the follow-up events its sends learnt of; the object applies them afterwards,
 * as it does an effect's, so no send ever calls back into the object.
 */
export class Outbox<T> {
  private flushing: Promise<LifecycleEvent[]> | null = null;
  private again = false;

  constructor(
    readonly user: OutboxUser<T>,
    private readonly store: OutboxStore<T>,
  ) {}

  /** What the outbox holds now. */
  read(): Promise<OutboxState<T> | undefined> {
    return this.store.read();
  }

  /** Changes what the outbox holds (e.g. a message queued again by hand); answers whether anything changed. */
  async change(fn: (now: OutboxState<T> | undefined) => OutboxState<T> | undefined): Promise<boolean> {
    let changed = false;
    await this.store.update((now) => {
      const next = fn(now);
      changed = next !== now;
      return next ?? null;
    });
    return changed;
  }

  /** Tries every lane's head that is fresh or due (and what follows it, while it succeeds); `only` names the lanes to try, alone. */
  flush(only?: string[]): Promise<LifecycleEvent[]> {
    if (only) return this.drainLanes(only);
    if (this.flushing) {
      // Joins the run in progress, which goes round once more; its first caller gets the follow-ups.
      this.again = true;
      return this.flushing.then(() => []);
    }
    this.flushing = (async () => {
      const followUps: LifecycleEvent[] = [];
      do {
        this.again = false;
        followUps.push(...(await this.drainLanes(lanesOf(await this.store.read()))));
      } while (this.again);
      return followUps;
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drainLanes(lanes: string[]): Promise<LifecycleEvent[]> {
    const followUps: LifecycleEvent[] = [];
    await Promise.all(lanes.map((lane) => this.drainLane(lane, followUps)));
    return followUps;
  }

  private async drainLane(lane: string, followUps: LifecycleEvent[]): Promise<void> {
    const o = this.user;
    for (;;) {
      const head = (await this.store.read())?.entries.find((e) => e.lane === lane);
      // A head that failed waits for its backoff, whatever joins the lane: its retries follow the
      // policy's curve, and the alarm (set for its nextAt) tries it when it is due.
      if (!head || (head.failures > 0 && head.nextAt > Date.now())) return;
      const started = Date.now();
      let delivery: Sent;
      try {
        delivery = await o.send(head);
      } catch (error) {
        delivery = { ok: false, error: (error as Error).message };
      }
      if (delivery.followUp) followUps.push(delivery.followUp);
      const attempt: Attempt = { at: started, ms: Date.now() - started, status: delivery.status ?? null, error: delivery.ok ? null : delivery.error };
      let settled = false;
      let owedAgain = false;
      await this.store.update((now) => {
        const state = now ?? emptyOutbox<T>();
        const entry = state.entries.find((e) => e.id === head.id && e.lane === lane);
        // Superseded while in flight: the newer message waits for its own flush (or the alarm).
        if (!entry) return state;
        // Changed while in flight (a progress joined a projection being written): what was sent is
        // not what is owed now, so the entry stays and goes again at once.
        if (entry.payload !== head.payload) {
          owedAgain = true;
          return state;
        }
        const tries = [...entry.tries, attempt].slice(-o.triesKept);
        const rest = state.entries.filter((e) => e !== entry);
        const failures = entry.failures + 1;
        const expired = o.policy.giveUpAfterMs !== null && attempt.at - entry.createdAt >= o.policy.giveUpAfterMs;
        if (delivery.ok || expired) {
          settled = true;
          const done: Settled<T> = { ...entry, tries, failures: delivery.ok ? entry.failures : failures, outcome: delivery.ok ? "delivered" : "given_up", settledAt: attempt.at };
          if (!delivery.ok) log("warn", "outbox gave up", { outbox: o.name, lane, id: entry.id, failures });
          return orNull({ entries: rest, log: o.logSize ? [...state.log, done].slice(-o.logSize) : [] });
        }
        const wait = backoffMs(failures, o.policy.baseMs, o.policy.maxMs);
        log("warn", "outbox pending", { outbox: o.name, lane, id: entry.id, failures, retryInMs: wait, status: attempt.status, error: attempt.error });
        const retried: Entry<T> = { ...entry, tries, failures, nextAt: attempt.at + wait };
        return { entries: state.entries.map((e) => (e === entry ? retried : e)), log: state.log };
      });
      if (!settled && !owedAgain) return;
    }
  }
}

/**
 * What one transition puts in each outbox (pure): the stored values that change, the outboxes
 * they belong to, and of those the ones to send right away and the ones to send after the event.
 */
export function fillOutboxes(outboxes: readonly Outbox<unknown>[], stored: Readonly<Record<string, unknown>>, t: Transition) {
  const change: Record<string, OutboxState<unknown> | null> = {};
  const filled: Outbox<unknown>[] = [];
  for (const o of outboxes) {
    const before = stored[o.user.key] as OutboxState<unknown> | undefined;
    const after = o.user.after(before, t);
    if (after === before || after === undefined) continue;
    change[o.user.key] = after;
    filled.push(o);
  }
  const when = (o: Outbox<unknown>) => o.user.sendWhen?.(t) ?? "after-event";
  return { change, filled, now: filled.filter((o) => when(o) === "now"), afterEvent: filled.filter((o) => when(o) === "after-event") };
}
