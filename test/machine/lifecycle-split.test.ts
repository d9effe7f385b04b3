import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { outcomeOf as meaningOf, type ChunkReport, type LifecycleEvent } from "../../src/machine/index.ts";
import type { FanoutEffect } from "../../src/machine/fanout.ts";
import { AT, admin, currentAttempt, owner, POLICY, sampleEvent, snapshotIn, SPLIT_POLICY } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";
import { transition } from "xstate";
import { lifecycleMachine } from "../../src/machine/index.ts";

/**
 * The item's lifecycle over a video split across workers: the first job's plan, the chunk jobs
 * the object dispatches and tries again, the whole-file work, the stitch. 4 chunks, 2 at once.
 */
type Snap = ReturnType<typeof snapshotIn>;
const step = (s: Snap, e: LifecycleEvent) => {
  const [next, actions] = transition(lifecycleMachine, s, e);
  const fanout = actions.filter((a) => a.type === "fanoutEffects").flatMap((a) => (a.params as { effects: FanoutEffect[] }).effects);
  return { next: next as Snap, actions, fanout, meaning: meaningOf(actions) };
};
type ChunkEvent = Extract<LifecycleEvent, { type: "CHUNK" }>;
const chunk = (index: number, tryNo: number, report: ChunkReport, at = AT + 40_000): ChunkEvent => ({ type: "CHUNK", attemptId: currentAttempt, eventId: randomUUID(), index, try: tryNo, report, at });
const done = (index: number, tryNo = 1, at?: number) => chunk(index, tryNo, { kind: "completed", encodeSeconds: 10 + index, jobId: `c${index}-${tryNo}` }, at);
const dispatched = (index: number, tryNo = 1): ChunkEvent => ({ ...chunk(index, tryNo, { kind: "dispatched", jobId: `c${index}-${tryNo}` }, AT + 12_000), eventId: null });
const restDone: LifecycleEvent = { type: "REST_COMPLETED", attemptId: currentAttempt, eventId: randomUUID(), jobId: "job-1", at: AT + 50_000 };
const timeout = (at: number): LifecycleEvent => ({ type: "TIMEOUT", at, runpod: { status: "IN_PROGRESS", result: null, detail: null }, policy: POLICY });

/** A transcoding item whose first job has reported the plan, the first two chunk jobs confirmed by RunPod. */
function planned(): Snap {
  let s = step(snapshotIn("transcoding"), sampleEvent("PLANNED")).next;
  s = step(s, dispatched(0)).next;
  return step(s, dispatched(1)).next;
}

describe("a split video's lifecycle", () => {
  it("the plan dispatches the first chunks, in time order, as many as may run at once; the item stays transcoding", () => {
    const r = step(snapshotIn("transcoding"), sampleEvent("PLANNED"));
    expect(r.next.value).toBe("transcoding");
    expect(r.fanout).toEqual([{ type: "dispatchChunk", index: 0, try: 1 }, { type: "dispatchChunk", index: 1, try: 1 }]);
    expect(r.next.context.fanout).toMatchObject({ stitching: false });
    // The alarm looks at the chunks within the stall window, and at the hard ceiling.
    expect(r.next.context.deadlineAt).toBe(AT + 12_000 + SPLIT_POLICY.stallMs);
    // A second plan from the same attempt (a repeat) changes nothing.
    expect(outcomeOf(r.next, sampleEvent("PLANNED")).outcome).toMatchObject({ kind: "ignored", reason: "the split is planned already" });
  });

  it("each chunk in takes the next into its slot; once all and the whole-file work are in, the stitch is dispatched, and its completion makes the item ready, releasing the creator's slot once", () => {
    let s = planned();
    const first = step(s, done(0));
    expect(first.fanout).toEqual([{ type: "dispatchChunk", index: 2, try: 1 }, { type: "publish", chunks: 1 }]);
    s = first.next;
    for (const e of [dispatched(2), done(1), dispatched(3), done(2), done(3)]) {
      const r = step(s, e);
      expect(r.meaning.kind === "applied" && r.meaning.effects.map((x) => x.type)).not.toContain("releaseJobSlot");
      s = r.next;
    }
    // Percent by seconds of video, never 100 before the stitch.
    expect(s.context.percent).toBeGreaterThan(80);
    expect(s.context.percent).toBeLessThan(100);
    // A completion before the stitch is not the item's.
    expect(outcomeOf(s, sampleEvent("COMPLETED")).outcome).toMatchObject({ kind: "ignored", reason: "a split video completes with its stitch" });
    const stitch = outcomeOf(s, restDone);
    expect(stitch.outcome).toEqual({ kind: "applied", to: "transcoding", effects: ["dispatchStitch"] });
    s = stitch.next as Snap;
    expect(s.context).toMatchObject({ jobId: null, fanout: { stitching: true } });
    expect(s.context.fanout!.state.chunks.map((c) => c.encodeSeconds)).toEqual([10, 11, 12, 13]);
    s = step(s, { type: "DISPATCHED", attemptId: currentAttempt, jobId: "stitch-1" }).next;
    expect(s.context.jobId).toBe("stitch-1");
    const ready = outcomeOf(s, { ...sampleEvent("COMPLETED"), jobId: "stitch-1" } as LifecycleEvent);
    expect(ready.outcome).toEqual({ kind: "applied", to: "ready", effects: ["releaseJobSlot"] });
  });

  it("a duplicate, a superseded try's and a finished chunk's callbacks are answered and ignored; a superseded try's job is cancelled", () => {
    let s = planned();
    const first = done(0);
    s = step(s, first).next;
    expect(outcomeOf(s, first).outcome).toMatchObject({ kind: "ignored", reason: "duplicate event" });
    expect(outcomeOf(s, done(0)).outcome).toMatchObject({ kind: "ignored" });
    // Chunk 1's first try fails retriably: try 2 is dispatched; try 1's late completion changes nothing.
    const failed = step(s, chunk(1, 1, { kind: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true }, jobId: "c1-1" }));
    expect(failed.next.value).toBe("transcoding");
    expect(failed.fanout).toEqual([{ type: "cancelJob", jobId: "c1-1" }, { type: "dispatchChunk", index: 1, try: 2 }]);
    expect(failed.next.context.retriesUsed).toBe(0);
    s = failed.next;
    expect(outcomeOf(s, done(1, 1)).outcome).toMatchObject({ kind: "ignored", reason: "callback of a superseded or finished chunk try" });
    // Try 1's dispatch answer arriving now names a job nobody wants: it is cancelled.
    const lateDispatch = step(s, dispatched(1, 1));
    expect(lateDispatch.meaning).toMatchObject({ kind: "ignored" });
    expect(lateDispatch.fanout).toEqual([{ type: "cancelJob", jobId: "c1-1" }]);
  });

  it("a chunk that cannot succeed fails the item with its code, cancelling every other job in flight, without spending the retry", () => {
    const s = planned();
    const r = outcomeOf(s, chunk(1, 1, { kind: "failed", error: { code: "INPUT_UNREADABLE", message: "bad data at 20 s", retriable: false }, jobId: "c1-1" }));
    expect(r.outcome).toEqual({ kind: "applied", to: "failed", effects: ["releaseJobSlot", "fanoutEffects", "cancelJob"] });
    const effects = r.actions.filter((a) => a.type === "fanoutEffects").flatMap((a) => (a.params as { effects: FanoutEffect[] }).effects);
    expect(effects).toEqual([{ type: "cancelJob", jobId: "c1-1" }, { type: "cancelJob", jobId: "c0-1" }]);
    expect(r.next.context.error).toMatchObject({ code: "INPUT_UNREADABLE", message: "Chunk 2 of 4: bad data at 20 s" });
    expect(r.next.context.retriesUsed).toBe(0);
  });

  it("the alarm tries a silent chunk again, and fails the item when the whole-file job goes silent", () => {
    let s = planned();
    // Chunk 0 reports late; chunk 1 says nothing after its dispatch.
    s = step(s, chunk(0, 1, { kind: "progress", percent: 40, jobId: "c0-1" }, AT + 12_000 + 50_000)).next;
    s = step(s, { ...sampleEvent("PROGRESS"), at: AT + 12_000 + 50_000 } as LifecycleEvent).next;
    const look = step(s, timeout(AT + 12_000 + SPLIT_POLICY.stallMs));
    expect(look.next.value).toBe("transcoding");
    expect(look.fanout).toEqual([{ type: "cancelJob", jobId: "c1-1" }, { type: "dispatchChunk", index: 1, try: 2 }]);
    expect(look.next.context.deadlineAt).toBeGreaterThan(AT + 12_000 + SPLIT_POLICY.stallMs);
    // Then the whole-file job falls silent too.
    const later = outcomeOf(look.next, timeout(AT + 12_000 + 50_000 + SPLIT_POLICY.stallMs));
    expect(later.outcome).toMatchObject({ kind: "applied", to: "failed" });
    expect(later.next.context.error).toMatchObject({ code: "TIMED_OUT" });
  });

  it("cancel and delete cancel every chunk job in flight and the first job", () => {
    for (const e of [{ type: "CANCEL", actor: admin, at: AT + 60_000 }, { type: "DELETE", actor: owner, at: AT + 60_000 }] as LifecycleEvent[]) {
      const r = step(planned(), e);
      expect(r.fanout).toEqual([{ type: "cancelJob", jobId: "c0-1" }, { type: "cancelJob", jobId: "c1-1" }]);
      expect(r.actions.some((a) => a.type === "cancelJob" && (a.params as { jobId: string }).jobId === "job-1")).toBe(true);
    }
  });

  it("a retry starts over as one job that may split again: nothing of the old split is kept", () => {
    const failed = step(planned(), { type: "CANCEL", actor: admin, at: AT + 60_000 }).next;
    const retried = step(failed, sampleEvent("RETRY"));
    expect(retried.next.value).toBe("transcoding");
    expect(retried.next.context.fanout).toBeNull();
    // The old attempt's chunk jobs are strangers now: their progress gets them cancelled.
    const orphan = step(retried.next, chunk(0, 1, { kind: "progress", percent: 50, jobId: "c0-1" }));
    expect(orphan.meaning).toMatchObject({ kind: "ignored" });
    expect(orphan.actions.find((a) => a.type === "cancelJob")?.params).toMatchObject({ jobId: "c0-1" });
  });
});
