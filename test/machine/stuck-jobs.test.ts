import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import { lifecycleMachine, outcomeOf as meaningOf, type LifecycleEvent, type RunpodView } from "../../src/machine/index.ts";
import { AT, currentAttempt, owner, POLICY, sampleEvent, snapshotIn } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";

const check = (status: RunpodView["status"], at: number): LifecycleEvent => ({ type: "TIMEOUT", at, runpod: { status, result: null, detail: null }, policy: POLICY });
const progress = (at: number, over: Partial<Extract<LifecycleEvent, { type: "PROGRESS" }>> = {}): LifecycleEvent => ({
  type: "PROGRESS", attemptId: currentAttempt, eventId: randomUUID(), jobId: "job-1", phase: "encoding", percent: 60, at, hardDeadlineAt: null, ...over,
});

describe("a job that is making progress is never stuck", () => {
  it("progress a second before the check keeps it transcoding and moves the next look a stall window past it", () => {
    const at = AT + 3 * 3600_000; // long after dispatch: only the last sign of life matters
    const alive = snapshotIn("transcoding", { lastActivityAt: at - 1000, deadlineAt: at });
    const { outcome, next } = outcomeOf(alive, check("IN_PROGRESS", at));
    expect(outcome).toMatchObject({ kind: "applied", to: "transcoding", effects: [] });
    expect(next.context.deadlineAt).toBe(at - 1000 + POLICY.stallMs);
  });
  it("silence for the stall window fails it TIMED_OUT and cancels the job, saying how long it was silent", () => {
    const at = AT + 3 * 3600_000;
    const { outcome, next } = outcomeOf(snapshotIn("transcoding", { lastActivityAt: at - POLICY.stallMs }), check("IN_PROGRESS", at));
    expect(outcome).toMatchObject({ to: "failed", effects: ["releaseJobSlot", "cancelJob"] });
    expect(next.context.error).toMatchObject({ code: "TIMED_OUT", message: expect.stringContaining("No progress from the job for 600 s") });
  });
  it("progress records the time and, the first time it brings the probed duration, the hard ceiling", () => {
    const first = transition(lifecycleMachine, snapshotIn("transcoding"), progress(AT + 50_000, { hardDeadlineAt: AT + 500_000 }))[0];
    expect(first.context).toMatchObject({ lastActivityAt: AT + 50_000, hardDeadlineAt: AT + 500_000, deadlineAt: AT + 500_000 });
    const second = transition(lifecycleMachine, first, progress(AT + 60_000, { percent: 70, hardDeadlineAt: AT + 999_000 }))[0];
    expect(second.context).toMatchObject({ lastActivityAt: AT + 60_000, hardDeadlineAt: AT + 500_000 });
  });
  it("past the hard ceiling a job is stopped even while it sends progress", () => {
    const at = AT + 2_000_000;
    const { outcome, next } = outcomeOf(snapshotIn("transcoding", { lastActivityAt: at - 1000, hardDeadlineAt: at - 1 }), check("IN_PROGRESS", at));
    expect(outcome).toMatchObject({ to: "failed", effects: ["releaseJobSlot", "cancelJob"] });
    expect(next.context.error?.message).toContain("hard ceiling");
  });
});

describe("a queued job is judged by RunPod's /status and the queue ceiling", () => {
  it("still queued within the ceiling: waits, and the queue wait counts as a sign of life", () => {
    const at = AT + 30 * 60_000;
    const { outcome, next } = outcomeOf(snapshotIn("transcoding"), check("IN_QUEUE", at));
    expect(outcome).toMatchObject({ to: "transcoding", effects: [] });
    expect(next.context).toMatchObject({ lastActivityAt: at, deadlineAt: at + POLICY.stallMs });
  });
  it("the next look never goes past the queue ceiling", () => {
    const at = AT + 55 * 60_000;
    const { next } = outcomeOf(snapshotIn("transcoding"), check("IN_QUEUE", at));
    expect(next.context.deadlineAt).toBe(AT + POLICY.queueCeilingMs);
  });
  it("queued past the ceiling: failed TIMED_OUT with the reason, and cancelled", () => {
    const { outcome, next } = outcomeOf(snapshotIn("transcoding"), check("IN_QUEUE", AT + POLICY.queueCeilingMs));
    expect(outcome).toMatchObject({ to: "failed", effects: ["releaseJobSlot", "cancelJob"] });
    expect(next.context.error?.message).toContain("queue");
  });
});

describe("a lost /run answer never costs a second job", () => {
  const unconfirmed = () =>
    transition(lifecycleMachine, snapshotIn("transcoding", { jobId: null }), { type: "DISPATCH_UNCONFIRMED", attemptId: currentAttempt, message: "no answer" })[0];
  it("the item stays transcoding with the attempt kept, and a second trigger is refused", () => {
    const s = unconfirmed();
    expect(s.value).toBe("transcoding");
    expect(s.context).toMatchObject({ attemptId: currentAttempt, jobId: null, dispatchUnconfirmed: true });
    expect(outcomeOf(s, sampleEvent("TRIGGER")).outcome).toMatchObject({ kind: "refused", code: "INVALID_STATE" });
  });
  it("the job's first callback tells its id", () => {
    const next = transition(lifecycleMachine, unconfirmed(), progress(AT + 20_000, { jobId: "late-job" }))[0];
    expect(next.context).toMatchObject({ jobId: "late-job", dispatchUnconfirmed: false });
  });
  it("silence for the stall window: back to uploaded, nothing spent, with the reason kept", () => {
    const s = unconfirmed();
    const { outcome, next } = outcomeOf(s, check("NOT_FOUND", AT + POLICY.stallMs + 1));
    expect(outcome).toMatchObject({ to: "uploaded", effects: ["releaseJobSlot"] });
    expect(next.context).toMatchObject({ retriesUsed: 0, error: { code: "DISPATCH_FAILED" } });
  });
  it("progress from a job of an attempt the item no longer wants cancels that job, once", () => {
    const later = snapshotIn("transcoding", { attemptId: randomUUID(), jobId: "job-2" });
    const orphan = progress(AT + 20_000, { jobId: "orphan-job" }) as Extract<LifecycleEvent, { type: "PROGRESS" }>;
    const [next, actions] = transition(lifecycleMachine, later, orphan);
    const meaning = meaningOf(actions);
    expect(meaning).toMatchObject({ kind: "ignored", effects: [{ type: "cancelJob", params: { jobId: "orphan-job" } }] });
    expect(next.context.cancelledJobIds).toEqual(["orphan-job"]);
    const again = meaningOf(transition(lifecycleMachine, next, { ...orphan, eventId: randomUUID() })[1]);
    expect(again).toMatchObject({ kind: "ignored", effects: [] });
  });
});

describe("the creator's job slot", () => {
  it("a trigger beyond the creator's limits is refused RATE_LIMITED with when to come back", () => {
    const event = { ...sampleEvent("TRIGGER"), admission: { ok: false, retryAfterSeconds: 42, message: "3 jobs in flight" } } as LifecycleEvent;
    expect(outcomeOf(snapshotIn("uploaded"), event).outcome).toMatchObject({ kind: "refused", code: "RATE_LIMITED" });
    const [, actions] = transition(lifecycleMachine, snapshotIn("uploaded"), event);
    expect(meaningOf(actions)).toEqual({ kind: "refused", refusal: { code: "RATE_LIMITED", message: "3 jobs in flight", retryAfterSeconds: 42 } });
  });
  it("every way out of transcoding releases the slot, refunded only when RunPod never took the job", () => {
    const endings: [LifecycleEvent, boolean][] = [
      [sampleEvent("COMPLETED"), false],
      [sampleEvent("FAILED"), false],
      [sampleEvent("CANCEL"), false],
      [check("IN_PROGRESS", AT + 1e7), false],
      [sampleEvent("DISPATCH_FAILED"), true],
      [sampleEvent("DELETED"), false],
    ];
    for (const [event, refund] of endings) {
      const [, actions] = transition(lifecycleMachine, snapshotIn("transcoding"), event);
      const effects = meaningOf(actions).kind === "refused" ? [] : (meaningOf(actions) as { effects: { type: string; params: unknown }[] }).effects;
      expect(effects.filter((e) => e.type === "releaseJobSlot").map(({ type, params }) => ({ type, params })), event.type).toEqual([{ type: "releaseJobSlot", params: { attemptId: currentAttempt, refund } }]);
    }
    // Progress stays inside the state: no release.
    const [, actions] = transition(lifecycleMachine, snapshotIn("transcoding"), sampleEvent("PROGRESS"));
    expect(actions.some((a) => a.type === "releaseJobSlot")).toBe(false);
  });
});

describe("deleted", () => {
  it("a deleted item answers to nobody, and deleting one in flight cancels its job", () => {
    const { outcome } = outcomeOf(snapshotIn("transcoding"), sampleEvent("DELETED"));
    expect(outcome).toMatchObject({ to: "deleted", effects: ["releaseJobSlot", "cancelJob"] });
    const deleted = snapshotIn("deleted");
    expect(outcomeOf(deleted, { type: "RETRY", actor: owner, inputExists: true, admission: { ok: true }, attemptId: randomUUID(), at: AT, deadlineAt: AT }).outcome).toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
