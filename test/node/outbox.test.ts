import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueue, Outbox, outboxDueAt, type Entry, type OutboxState, type Sent } from "../../src/objects/outbox.ts";
import { projectionAfter, type ProjectionDue } from "../../src/objects/projection-outbox.ts";
import type { LifecycleRecord } from "../../src/objects/record.ts";

// The clock moves only when a test moves it (timers stay real).
const later = (ms: number) => vi.setSystemTime(Date.now() + ms);
afterEach(() => vi.useRealTimers());

/** An outbox over a plain variable, sending through `answer` (what the receiver of each lane says). */
function harness(answer: (e: Entry<string>) => Sent | Promise<Sent>, policy = { baseMs: 1000, maxMs: 8000, giveUpAfterMs: null as number | null }) {
  let state: OutboxState<string> | undefined;
  const sent: string[] = [];
  const outbox = new Outbox<string>(
    {
      name: "test",
      key: "outbox:test",
      policy,
      after: (s) => s,
      send: async (e) => (sent.push(`${e.lane}:${e.payload}`), answer(e)),
      logSize: 3,
      triesKept: 2,
    },
    { read: async () => state, update: async (change) => void (state = change(state) ?? undefined) },
  );
  const add = (lane: string, ...payloads: string[]) =>
    (state = enqueue(state, payloads.map((p) => ({ id: `${lane}-${p}`, lane, payload: p, nextAt: Date.now() + 5000 })), Date.now()));
  return { outbox, sent, add, state: () => state };
}

describe("the outbox mechanism", () => {
  it("sends each lane in order; a failing head holds back its own lane only, with backoff doubling to the cap", async () => {
    const h = harness((e) => (e.lane === "down" ? { ok: false, status: 503, error: "HTTP 503" } : { ok: true, status: 204 }));
    vi.useFakeTimers({ toFake: ["Date"] });
    h.add("up", "1", "2", "3");
    h.add("down", "a", "b");
    for (let i = 0; i < 5; i++) {
      await h.outbox.flush();
      later(10_000);
    }
    expect(h.sent.filter((s) => s.startsWith("up:"))).toEqual(["up:1", "up:2", "up:3"]);
    expect(new Set(h.sent.filter((s) => s.startsWith("down:")))).toEqual(new Set(["down:a"]));
    const head = h.state()!.entries[0]!;
    expect(head).toMatchObject({ lane: "down", payload: "a", failures: 5 });
    // 1 s, 2 s, 4 s, 8 s, 8 s: the last wait is the cap.
    expect(head.nextAt - head.tries.at(-1)!.at).toBe(8000);
    expect(head.tries).toHaveLength(2);
    expect(outboxDueAt(h.state())).toBe(head.nextAt);
    expect(h.state()!.log.map((e) => e.payload)).toEqual(["1", "2", "3"]);
  });

  it("gives up an entry that still fails past giveUpAfterMs, logs it, and goes on with the lane", async () => {
    const h = harness((e) => (e.payload === "old" ? { ok: false, error: "refused" } : { ok: true }), { baseMs: 1000, maxMs: 8000, giveUpAfterMs: 24 * 3_600_000 });
    h.add("l", "old", "next");
    h.state()!.entries[0]!.createdAt = Date.now() - 25 * 3_600_000;
    await h.outbox.flush();
    expect(h.sent).toEqual(["l:old", "l:next"]);
    expect(h.state()!.log.map((e) => [e.payload, e.outcome])).toEqual([["old", "given_up"], ["next", "delivered"]]);
    expect(h.state()!.entries).toEqual([]);
  });

  it("a send that throws counts as a failure; flushes asked for during one run go round once more, never two runs at once", async () => {
    let inFlight = 0;
    let most = 0;
    const h = harness(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      throw new Error("socket hang up");
    });
    h.add("l", "x");
    h.add("m", "y");
    // Joined while the first run is in flight: one more round, in which the failed heads are not due yet.
    await Promise.all([h.outbox.flush(), h.outbox.flush(), h.outbox.flush()]);
    expect(most).toBe(2);
    expect(h.sent).toEqual(["l:x", "m:y"]);
    expect(h.state()!.entries[0]).toMatchObject({ failures: 1 });
    expect(h.state()!.entries[0]!.tries.at(-1)!.error).toBe("socket hang up");
  });

  it("a replace rule drops what a newer message makes pointless", () => {
    let s = enqueue<string>(undefined, [{ id: "1", lane: "l", payload: "progress 10", nextAt: 0 }], 0);
    s = enqueue(s, [{ id: "2", lane: "l", payload: "progress 20", nextAt: 0 }], 0, (q) => q.payload.startsWith("progress"));
    s = enqueue(s, [{ id: "3", lane: "m", payload: "progress 30", nextAt: 0 }], 0, (q) => q.payload.startsWith("progress"));
    expect(s.entries.map((e) => e.id)).toEqual(["2", "3"]);
  });

  it("a send's follow-up event is answered by the flush that made it, once, after the entry is settled", async () => {
    const h = harness((e) => (e.payload === "row gone" ? { ok: true, followUp: { type: "DELETED", at: 1 } } : { ok: true }));
    h.add("postgres", "v1", "row gone");
    const [first, joined] = await Promise.all([h.outbox.flush(), h.outbox.flush()]);
    expect(first).toEqual([{ type: "DELETED", at: 1 }]);
    expect(joined).toEqual([]);
    expect(h.state()!.entries).toEqual([]);
    expect(await h.outbox.flush()).toEqual([]);
  });

  it("a message joining a lane never brings a try of its failed head forward: retries keep to the backoff curve", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const h = harness(() => ({ ok: false, status: 500, error: "HTTP 500" }));
    h.add("l", "head");
    await h.outbox.flush();
    for (const p of ["joins 1", "joins 2", "joins 3"]) {
      later(100);
      h.add("l", p);
      await h.outbox.flush();
    }
    expect(h.sent).toEqual(["l:head"]);
    later(1_000);
    await h.outbox.flush();
    expect(h.sent).toEqual(["l:head", "l:head"]);
    expect(h.state()!.entries[0]).toMatchObject({ payload: "head", failures: 2 });
  });

  it("a projection that progress joined while its write was in flight is written again, so the row reaches the newest version", async () => {
    const rec = (version: number): LifecycleRecord => ({ value: "transcoding", version, context: {} as LifecycleRecord["context"] });
    let state: OutboxState<ProjectionDue> | undefined = projectionAfter(undefined, rec(3), false, Date.now()) ?? undefined;
    const written: number[] = [];
    let current = 3;
    let release!: () => void;
    const outbox = new Outbox<ProjectionDue>(
      {
        name: "projection",
        key: "outbox:projection",
        policy: { baseMs: 1000, maxMs: 60_000, giveUpAfterMs: null },
        after: (s) => s,
        logSize: 0,
        triesKept: 1,
        // Writes the newest record, as the real send does; the first write waits to be released.
        send: async () => {
          const v = current;
          if (!written.length) await new Promise<void>((r) => (release = r));
          written.push(v);
          return { ok: true };
        },
      },
      { read: async () => state, update: async (change) => void (state = change(state) ?? undefined) },
    );
    const flushing = outbox.flush();
    await new Promise((r) => setTimeout(r, 5));
    // Progress arrives while version 3 is being written.
    current = 4;
    state = projectionAfter(state, rec(4), true, Date.now()) ?? undefined;
    release();
    await flushing;
    expect(written).toEqual([3, 4]);
    expect(state).toBeUndefined();
  });
});
