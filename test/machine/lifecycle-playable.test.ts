import { randomUUID } from "node:crypto";
import { transition } from "xstate";
import { describe, expect, it } from "vitest";
import { lifecycleMachine, type LifecycleEvent } from "../../src/machine/index.ts";
import type { FanoutEffect } from "../../src/machine/fanout.ts";
import { statusView } from "../../src/objects/status-view.ts";
import { projectionRow } from "../../src/objects/projection-row.ts";
import { AT, currentAttempt, owner, POLICY, sampleEvent, snapshotIn } from "./fixtures.ts";

/**
 * `playable` (README "Playable while it transcodes"): a fact about the attempt, not a state. One
 * job says how many seconds it has published; a split video is playable over the chunks the
 * object published (a contiguous prefix) as far as the whole-file job's sound goes.
 */
type Snap = ReturnType<typeof snapshotIn>;
const step = (s: Snap, e: LifecycleEvent) => {
  const [next, actions] = transition(lifecycleMachine, s, e);
  const fanout = actions.filter((a) => a.type === "fanoutEffects").flatMap((a) => (a.params as { effects: FanoutEffect[] }).effects);
  return { next: next as Snap, fanout };
};
const progress = (playableSeconds: number | undefined, at: number, percent = 50): LifecycleEvent => ({
  type: "PROGRESS", attemptId: currentAttempt, eventId: randomUUID(), jobId: "job-1", phase: "encoding", percent, at, hardDeadlineAt: null,
  ...(playableSeconds === undefined ? {} : { playableSeconds }),
});
const done = (index: number, at: number): LifecycleEvent => ({ type: "CHUNK", attemptId: currentAttempt, eventId: randomUUID(), index, try: 1, report: { kind: "completed", encodeSeconds: 10, jobId: `c${index}` }, at });
const published = (chunks: number, at: number): LifecycleEvent => ({ type: "PUBLISHED", attemptId: currentAttempt, chunks, at });

describe("one job: playable from the seconds it published", () => {
  it("is playable from the first progress that says so, only grows, and the whole item at ready", () => {
    let s = snapshotIn("transcoding");
    s = step(s, progress(undefined, AT + 1000)).next;
    expect(s.context).toMatchObject({ playableAt: null, playableSeconds: 0 });
    s = step(s, progress(0, AT + 2000)).next;
    expect(s.context.playableAt).toBeNull();
    s = step(s, progress(12, AT + 3000)).next;
    expect(s.context).toMatchObject({ playableAt: AT + 3000, playableSeconds: 12 });
    s = step(s, progress(6, AT + 4000, 60)).next;
    expect(s.context).toMatchObject({ playableAt: AT + 3000, playableSeconds: 12 });
    s = step(s, progress(24, AT + 5000, 70)).next;
    expect(s.context).toMatchObject({ playableAt: AT + 3000, playableSeconds: 24 });
    expect(statusView("transcoding", s.context, 1)).toMatchObject({ playableAt: new Date(AT + 3000).toISOString(), playableSeconds: 24 });
    s = step(s, sampleEvent("COMPLETED")).next;
    expect(s.value).toBe("ready");
    expect(s.context).toMatchObject({ playableAt: AT + 3000, playableSeconds: 12.5 });
  });

  it("an item ready without having been playable is playable from its ready time", () => {
    const s = step(snapshotIn("transcoding"), sampleEvent("COMPLETED")).next;
    expect(s.context.playableAt).toBe(s.context.finishedAt);
  });

  it("a failure after playable: the item fails and is no longer playable; a retry starts over", () => {
    let s = step(snapshotIn("transcoding"), progress(12, AT + 3000)).next;
    s = step(s, sampleEvent("FAILED")).next;
    expect(s.value).toBe("failed");
    expect(statusView("failed", s.context, 2)).toMatchObject({ playableAt: null, playableSeconds: 0 });
    expect(projectionRow("failed", s.context)).toMatchObject({ playableAt: null, playableSeconds: null });
    s = step(s, sampleEvent("RETRY", owner)).next;
    expect(s.value).toBe("transcoding");
    expect(s.context).toMatchObject({ playableAt: null, playableSeconds: 0 });
  });
});

describe("a split video: the published chunks' picture, as far as the sound goes", () => {
  // sampleTask: 4 chunks (30, 30, 30, 10 s), two jobs at once.
  const planned = () => step(snapshotIn("transcoding"), { ...sampleEvent("PLANNED"), at: AT + 12_000 } as LifecycleEvent).next;

  it("publishes a contiguous prefix only, never the last chunk, and is playable once a chunk and the sound are out", () => {
    let s = planned();
    // Chunk 1 before chunk 0: nothing to publish (a gap).
    let r = step(s, done(1, AT + 20_000));
    expect(r.fanout.filter((e) => e.type === "publish")).toEqual([]);
    s = r.next;
    r = step(s, done(0, AT + 21_000));
    expect(r.fanout.filter((e) => e.type === "publish")).toEqual([{ type: "publish", chunks: 2 }]);
    s = r.next;
    // Not published until the object says the playlists were written.
    expect(s.context.playableAt).toBeNull();
    s = step(s, published(2, AT + 21_100)).next;
    expect(s.context.fanout!.state.published).toBe(2);
    // No sound published yet: not playable.
    expect(s.context).toMatchObject({ playableAt: null, playableSeconds: 0 });
    s = step(s, progress(20, AT + 22_000, 30)).next;
    expect(s.context).toMatchObject({ playableAt: AT + 22_000, playableSeconds: 20 });
    s = step(s, progress(100, AT + 23_000, 60)).next;
    expect(s.context.playableSeconds).toBe(60);
    // A stale publish changes nothing.
    s = step(s, published(1, AT + 23_500)).next;
    expect(s.context.fanout!.state.published).toBe(2);
    // Chunk 2 in: published as far as it; chunk 3, the last, is the stitch's to publish.
    r = step(s, done(2, AT + 24_000));
    expect(r.fanout.filter((e) => e.type === "publish")).toEqual([{ type: "publish", chunks: 3 }]);
    s = step(r.next, published(3, AT + 24_100)).next;
    expect(s.context.playableSeconds).toBe(90);
    r = step(s, done(3, AT + 25_000));
    expect(r.fanout.filter((e) => e.type === "publish")).toEqual([]);
    expect(r.next.context.playableAt).toBe(AT + 22_000);
  });

  it("a publish that was not written is owed again at the alarm's look", () => {
    let s = planned();
    s = step(s, done(0, AT + 20_000)).next; // its publish failed: no PUBLISHED came
    const look = step(s, { type: "TIMEOUT", at: AT + 30_000, runpod: { status: "IN_PROGRESS", result: null, detail: null }, policy: POLICY });
    expect(look.fanout).toContainEqual({ type: "publish", chunks: 1 });
  });

  it("another attempt's publish is ignored", () => {
    let s = planned();
    s = step(s, done(0, AT + 20_000)).next;
    s = step(s, { ...published(1, AT + 20_100), attemptId: randomUUID() } as LifecycleEvent).next;
    expect(s.context.fanout!.state.published ?? 0).toBe(0);
  });
});
