import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { admin, currentAttempt, owner, sampleEvent, seenEventId, snapshotIn, stranger, AT, output, POLICY } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";

describe("who may act", () => {
  it("another creator's item does not exist for them", () => {
    for (const [state, type] of [["uploaded", "TRIGGER"], ["failed", "RETRY"], ["uploading", "UPLOAD_COMPLETE"], ["ready", "TRIGGER"], ["ready", "DELETE"], ["transcoding", "DELETE"]] as const) {
      const { outcome } = outcomeOf(snapshotIn(state), sampleEvent(type, stranger));
      expect(outcome).toMatchObject({ kind: "refused", code: "NOT_FOUND" });
    }
  });
  it("the owning creator may not cancel; an admin may", () => {
    expect(outcomeOf(snapshotIn("transcoding"), { type: "CANCEL", actor: owner, at: AT }).outcome).toMatchObject({ code: "FORBIDDEN" });
    expect(outcomeOf(snapshotIn("transcoding"), { type: "CANCEL", actor: admin, at: AT }).outcome).toMatchObject({ kind: "applied", to: "failed" });
  });
  it("a service token may trigger and an admin may retry", () => {
    expect(outcomeOf(snapshotIn("uploaded"), sampleEvent("TRIGGER", { kind: "service" })).outcome).toMatchObject({ to: "transcoding" });
    expect(outcomeOf(snapshotIn("failed"), sampleEvent("RETRY", admin)).outcome).toMatchObject({ to: "transcoding" });
  });
});

describe("inputs", () => {
  it("refuses a trigger whose original is missing, changing nothing", () => {
    const before = snapshotIn("uploaded");
    const { outcome, next } = outcomeOf(before, { ...sampleEvent("TRIGGER"), inputExists: false } as never);
    expect(outcome).toMatchObject({ kind: "refused", code: "INPUT_MISSING" });
    expect(next.context).toEqual(before.context);
  });
  it("refuses upload-complete before the object exists", () => {
    expect(outcomeOf(snapshotIn("uploading"), { type: "UPLOAD_COMPLETE", actor: owner, objectExists: false }).outcome).toMatchObject({
      code: "INPUT_MISSING",
    });
  });
});

describe("retries used", () => {
  it("a trigger mints the attempt, arms the deadline and dispatches it", () => {
    const event = sampleEvent("TRIGGER");
    const { next, actions } = outcomeOf(snapshotIn("uploaded"), event);
    expect(next.context).toMatchObject({ attemptId: (event as { attemptId: string }).attemptId, retriesUsed: 0, deadlineAt: AT + 610_000, jobId: null });
    expect(actions.find((a) => a.type === "dispatchJob")?.params).toEqual({ attemptId: (event as { attemptId: string }).attemptId });
  });
  it("a retry spends the one attempt and clears the error; a second is refused", () => {
    const { next } = outcomeOf(snapshotIn("failed"), sampleEvent("RETRY"));
    expect(next.context).toMatchObject({ retriesUsed: 1, error: null, output: null });
    const before = snapshotIn("failed", { retriesUsed: 1 });
    const second = outcomeOf(before, sampleEvent("RETRY"));
    expect(second.outcome).toMatchObject({ kind: "refused", code: "RETRY_EXHAUSTED" });
    expect(second.next.context.retriesUsed).toBe(1);
  });
  it("a failed dispatch spends nothing: back to uploaded, or to failed with the attempt returned", () => {
    const fromUploaded = outcomeOf(snapshotIn("transcoding"), sampleEvent("DISPATCH_FAILED"));
    expect(fromUploaded.outcome).toMatchObject({ to: "uploaded" });
    expect(fromUploaded.next.context).toMatchObject({ retriesUsed: 0, deadlineAt: null, error: { code: "DISPATCH_FAILED" } });
    const fromRetry = outcomeOf(snapshotIn("transcoding", { retriesUsed: 1, dispatchedFrom: "failed" }), sampleEvent("DISPATCH_FAILED"));
    expect(fromRetry.outcome).toMatchObject({ to: "failed" });
    expect(fromRetry.next.context.retriesUsed).toBe(0);
  });
  it("failure, timeout and cancel do not count: only the retry does", () => {
    for (const type of ["FAILED", "TIMEOUT", "CANCEL"] as const) {
      const { next } = outcomeOf(snapshotIn("transcoding"), sampleEvent(type));
      expect(next.value).toBe("failed");
      expect(next.context.retriesUsed).toBe(0);
    }
  });
});

describe("callbacks that change nothing", () => {
  it("ignores another attempt's callback, a repeated event id and a backwards progress", () => {
    const before = snapshotIn("transcoding");
    const stale = outcomeOf(before, { ...sampleEvent("COMPLETED"), attemptId: randomUUID() } as never);
    expect(stale.outcome).toMatchObject({ kind: "ignored", reason: "callback for another attempt" });
    const dup = outcomeOf(before, { ...sampleEvent("PROGRESS"), eventId: seenEventId } as never);
    expect(dup.outcome).toMatchObject({ kind: "ignored", reason: "duplicate event" });
    const back = outcomeOf(before, { ...sampleEvent("PROGRESS"), percent: 10 } as never);
    expect(back.outcome).toMatchObject({ kind: "ignored", reason: "progress going backwards" });
    for (const r of [stale, dup, back]) expect(r.next.context).toEqual(before.context);
  });
  it("records forward progress and remembers its event id", () => {
    const e = sampleEvent("PROGRESS");
    const { next } = outcomeOf(snapshotIn("transcoding"), e);
    expect(next.context).toMatchObject({ phase: "encoding", percent: 50 });
    expect(next.context.seenEventIds).toContain((e as { eventId: string }).eventId);
  });
  it("a second completion is refused once ready; the same one again is a duplicate", () => {
    const first = sampleEvent("COMPLETED") as { eventId: string };
    const { next } = outcomeOf(snapshotIn("transcoding"), first as never);
    expect(outcomeOf(next, first as never).outcome).toMatchObject({ kind: "ignored", reason: "duplicate event" });
    expect(outcomeOf(next, sampleEvent("COMPLETED")).outcome).toMatchObject({ kind: "refused", code: "INVALID_STATE" });
  });
  it("a completion after cancel is refused and the item stays failed", () => {
    const cancelled = outcomeOf(snapshotIn("transcoding"), sampleEvent("CANCEL")).next;
    const late = outcomeOf(cancelled, sampleEvent("COMPLETED"));
    expect(late.outcome).toMatchObject({ kind: "refused" });
    expect(late.next.value).toBe("failed");
    expect(late.next.context.error?.code).toBe("CANCELLED");
  });
});

describe("stuck-job reconciliation", () => {
  const view = (status: string, result: unknown = null, at = AT + 1e6) =>
    ({ type: "TIMEOUT", at, runpod: { status, result, detail: null }, policy: POLICY }) as never;
  it("takes RunPod's completed result for this attempt", () => {
    const { outcome, next } = outcomeOf(snapshotIn("transcoding"), view("COMPLETED", { status: "completed", attemptId: currentAttempt, output: output() }));
    expect(outcome).toMatchObject({ to: "ready", effects: ["releaseJobSlot"] });
    expect(next.context.output?.hlsMasterKey).toBe(output().hlsMasterKey);
  });
  it("takes RunPod's failure with the handler's error", () => {
    const error = { code: "INPUT_UNREADABLE", message: "moov atom not found", retriable: false };
    const { outcome, next } = outcomeOf(snapshotIn("transcoding"), view("COMPLETED", { status: "failed", attemptId: currentAttempt, error }));
    expect(outcome).toMatchObject({ to: "failed", effects: ["releaseJobSlot"] });
    expect(next.context.error).toEqual(error);
  });
  it("maps RunPod FAILED without a result to INTERNAL", () => {
    const { next } = outcomeOf(snapshotIn("transcoding"), view("FAILED"));
    expect(next.context.error?.code).toBe("INTERNAL");
  });
  it("times out and cancels a job silent for the stall window (running, unknown, unreachable) or queued past the ceiling", () => {
    for (const [status, at] of [["IN_PROGRESS", AT + 1e6], ["IN_QUEUE", AT + 3.7e6], ["NOT_FOUND", AT + 1e6], ["UNREACHABLE", AT + 1e6]] as const) {
      const { outcome, next } = outcomeOf(snapshotIn("transcoding"), view(status, null, at));
      expect(outcome).toMatchObject({ to: "failed", effects: ["releaseJobSlot", "cancelJob"] });
      expect(next.context.error?.code).toBe("TIMED_OUT");
    }
  });
  it("does not take a completed result that belongs to another attempt", () => {
    const { next } = outcomeOf(snapshotIn("transcoding"), view("COMPLETED", { status: "completed", attemptId: randomUUID(), output: output() }));
    expect(next.value).toBe("failed");
  });
});
