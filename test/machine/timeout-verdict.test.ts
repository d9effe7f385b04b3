import { describe, expect, it } from "vitest";
import { timeoutVerdict } from "../../src/machine/timeout.ts";
import type { LifecycleContext, LifecycleEvent, RunpodView } from "../../src/machine/index.ts";
import { AT, currentAttempt, output, POLICY, snapshotIn } from "./fixtures.ts";

type Check = Extract<LifecycleEvent, { type: "TIMEOUT" }>;
const NOW = AT + 1_000_000;
const check = (runpod: Partial<RunpodView>, at = NOW): Check => ({ type: "TIMEOUT", at, runpod: { status: "IN_PROGRESS", result: null, detail: null, ...runpod }, policy: POLICY });
const ctx = (over: Partial<LifecycleContext> = {}) => snapshotIn("transcoding", over).context;
const failed = { status: "failed", attemptId: currentAttempt, jobId: "job-1", error: { code: "ENCODE_FAILED", message: "x", retriable: false } } as const;
const completed = { status: "completed", attemptId: currentAttempt, jobId: "job-1", output: output() } as const;

/** The nine ordered rules of the alarm's look at a job, one row each, earliest rule first. */
const TABLE: [string, LifecycleContext, Check, string][] = [
  ["RunPod holds this attempt's result", ctx(), check({ status: "COMPLETED", result: completed }), "ready"],
  ["RunPod holds a failure (whatever the status says)", ctx(), check({ status: "IN_PROGRESS", result: failed }), "failed"],
  ["RunPod ended the job without a result", ctx(), check({ status: "CANCELLED" }), "failed"],
  ["another attempt's completed result is not taken", ctx(), check({ status: "COMPLETED", result: { ...completed, attemptId: "other" } }), "failed"],
  ["past the hard ceiling, even while alive", ctx({ lastActivityAt: NOW - 1, hardDeadlineAt: NOW }), check({}), "stuck"],
  ["queued within the queue ceiling", ctx({ startedAt: NOW - POLICY.queueCeilingMs + 1 }), check({ status: "IN_QUEUE" }), "waiting"],
  ["queued past the queue ceiling", ctx({ startedAt: NOW - POLICY.queueCeilingMs }), check({ status: "IN_QUEUE" }), "stuck"],
  ["heard from within the stall window", ctx({ lastActivityAt: NOW - POLICY.stallMs + 1 }), check({}), "waiting"],
  ["never confirmed, silent for the stall window", ctx({ jobId: null, dispatchUnconfirmed: true, startedAt: NOW - POLICY.stallMs }), check({ status: "NOT_FOUND" }), "origin"],
  ["silent for the stall window", ctx({ lastActivityAt: NOW - POLICY.stallMs }), check({ status: "UNREACHABLE" }), "stuck"],
];

describe("the stuck-job decision", () => {
  for (const [name, context, event, to] of TABLE) {
    it(`${name} → ${to}`, () => expect(timeoutVerdict(context, event).to).toBe(to));
  }
  it("a waiting job is looked at again at the nearest of stall window, queue ceiling and hard ceiling, never in the past", () => {
    const v = timeoutVerdict(ctx({ startedAt: NOW - 10_000, hardDeadlineAt: NOW + 5_000 }), check({ status: "IN_QUEUE" }));
    expect(v).toEqual({ to: "waiting", lastActivityAt: NOW, deadlineAt: NOW + 5_000 });
  });
});
