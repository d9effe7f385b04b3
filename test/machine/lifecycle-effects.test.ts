import { describe, expect, it, vi } from "vitest";
import { createActor } from "xstate";
import { lifecycleMachine } from "../../src/machine/index.ts";
import { AT, creatorId, owner, admin } from "./fixtures.ts";
import { randomUUID } from "node:crypto";

/** The effects are named actions: swapping them in with `provide` shows what the machine asks for. */
describe("effects through machine.provide", () => {
  it("asks to dispatch on trigger and to cancel on an admin cancel", () => {
    const dispatchJob = vi.fn();
    const cancelJob = vi.fn();
    const actor = createActor(lifecycleMachine.provide({ actions: { dispatchJob, cancelJob } }), {
      input: { mediaId: randomUUID(), creatorId, mediaType: "audio", inputKey: "k", durationSeconds: null, retriesUsed: 0 },
    }).start();
    actor.send({ type: "UPLOAD_COMPLETE", actor: owner, objectExists: true });
    const attemptId = randomUUID();
    actor.send({ type: "TRIGGER", actor: owner, inputExists: true, admission: { ok: true }, attemptId, at: AT, deadlineAt: AT + 1 });
    expect(dispatchJob).toHaveBeenCalledTimes(1);
    expect(dispatchJob.mock.calls[0]![1]).toEqual({ attemptId });
    actor.send({ type: "DISPATCHED", attemptId, jobId: "rp-1" });
    actor.send({ type: "CANCEL", actor: admin, at: AT + 2 });
    expect(cancelJob.mock.calls[0]![1]).toEqual({ attemptId, jobId: "rp-1" });
    expect(actor.getSnapshot().value).toBe("failed");
  });
});
