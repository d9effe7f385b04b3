import { backoffMs } from "../contract/index.ts";
import { log } from "../log.ts";

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

export interface OutboxOptions<T> {
  name: string;
  store: OutboxStore<T>;
  policy: RetryPolicy;
  send: (entry: Entry<T>) => Promise<Delivery>;
  /** How many settled entries to keep for the log (0: none). */
  logSize: number;
  /** How many tries each entry remembers. */
  triesKept: number;
}

/** Sends what an outbox holds: lane heads in parallel, each lane in order; one flush at a time. */
export class Outbox<T> {
  private flushing: Promise<void> | null = null;
  private again = false;

  constructor(private readonly o: OutboxOptions<T>) {}

  /** Tries every lane's head now (and what follows it, while it succeeds); `only` names the lanes to try, alone. */
  flush(only?: string[]): Promise<void> {
    if (only) return (async () => void (await Promise.all(only.map((lane) => this.drainLane(lane)))))();
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        const lanes = lanesOf(await this.o.store.read());
        await Promise.all(lanes.map((lane) => this.drainLane(lane)));
      } while (this.again);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drainLane(lane: string): Promise<void> {
    for (;;) {
      const head = (await this.o.store.read())?.entries.find((e) => e.lane === lane);
      if (!head) return;
      const started = Date.now();
      let delivery: Delivery;
      try {
        delivery = await this.o.send(head);
      } catch (error) {
        delivery = { ok: false, error: (error as Error).message };
      }
      const attempt: Attempt = { at: started, ms: Date.now() - started, status: delivery.status ?? null, error: delivery.ok ? null : delivery.error };
      let settled = false;
      await this.o.store.update((now) => {
        const state = now ?? emptyOutbox<T>();
        const entry = state.entries.find((e) => e.id === head.id && e.lane === lane);
        // Superseded while in flight: the newer message waits for its own flush (or the alarm).
        if (!entry) return state;
        const tries = [...entry.tries, attempt].slice(-this.o.triesKept);
        const rest = state.entries.filter((e) => e !== entry);
        const failures = entry.failures + 1;
        const expired = this.o.policy.giveUpAfterMs !== null && attempt.at - entry.createdAt >= this.o.policy.giveUpAfterMs;
        if (delivery.ok || expired) {
          settled = true;
          const done: Settled<T> = { ...entry, tries, failures: delivery.ok ? entry.failures : failures, outcome: delivery.ok ? "delivered" : "given_up", settledAt: attempt.at };
          if (!delivery.ok) log("warn", "outbox gave up", { outbox: this.o.name, lane, id: entry.id, failures });
          return orNull({ entries: rest, log: this.o.logSize ? [...state.log, done].slice(-this.o.logSize) : [] });
        }
        const wait = backoffMs(failures, this.o.policy.baseMs, this.o.policy.maxMs);
        log("warn", "outbox pending", { outbox: this.o.name, lane, id: entry.id, failures, retryInMs: wait, status: attempt.status, error: attempt.error });
        const retried: Entry<T> = { ...entry, tries, failures, nextAt: attempt.at + wait };
        return { entries: state.entries.map((e) => (e === entry ? retried : e)), log: state.log };
      });
      if (!settled) return;
    }
  }
}
