import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { downloadKey, posterKey } from "../../src/contract/index.ts";
import type { LifecycleEvent, LifecycleContext } from "../../src/machine/index.ts";
import type { TouchUpStep } from "../../src/machine/touch-up.ts";
import { AT, admin, creatorId, currentAttempt, mediaId, output, owner, snapshotIn, stranger } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";

const scope = { creatorId, mediaId, attemptId: currentAttempt };
const step = (s: TouchUpStep, actor = s.kind === "request" ? owner : undefined): LifecycleEvent => ({ type: "TOUCH_UP", ...(actor ? { actor } : {}), step: s });
const request = (id: string, req: { thumbnailSeconds?: number; downloads?: { mp4: "none" | "highest" | "all"; audio: boolean } } = { thumbnailSeconds: 4 }) =>
  ({ kind: "request", id, request: req, at: AT + 1000, deadlineAt: AT + 601_000 }) as const;
const ready = (c: Partial<LifecycleContext> = {}) => snapshotIn("ready", { output: output({ downloads: [] }), ...c });
/** The ready item with a touch-up running (its job dispatched as job-t). */
function running(id: string, req?: Parameters<typeof request>[1]) {
  const asked = outcomeOf(ready(), step(request(id, req))).next;
  return outcomeOf(asked, step({ kind: "dispatched", id, jobId: "job-t" })).next;
}

describe("touch-ups of a ready item", () => {
  it("asked for: kept as running, its job dispatched; a second one waits its turn; a stranger finds nothing; an admin may", () => {
    const id = randomUUID();
    const { outcome, next, actions } = outcomeOf(ready(), step(request(id)));
    expect(outcome).toEqual({ kind: "applied", to: "ready", effects: ["touchUpEffects"] });
    expect(actions.find((a) => a.type === "touchUpEffects")?.params).toEqual({ attemptId: currentAttempt, effects: [{ type: "dispatch", id }] });
    expect(next.context.touchUp).toMatchObject({ id, status: "running", jobId: null, deadlineAt: AT + 601_000, error: null });
    expect(outcomeOf(next, step(request(randomUUID()))).outcome).toMatchObject({ kind: "refused", code: "INVALID_STATE" });
    expect(outcomeOf(ready(), step(request(randomUUID()), stranger)).outcome).toMatchObject({ kind: "refused", code: "NOT_FOUND" });
    expect(outcomeOf(ready(), step(request(randomUUID()), admin)).outcome).toMatchObject({ kind: "applied" });
    // An audio item has no thumbnail to change (its downloads it may have).
    const audio = ready({ mediaType: "audio" });
    expect(outcomeOf(audio, step(request(randomUUID()))).outcome).toMatchObject({ kind: "refused", code: "INVALID_STATE", message: "An audio item has no thumbnail" });
    expect(outcomeOf(audio, step(request(randomUUID(), { downloads: { mp4: "none", audio: true } }))).outcome).toMatchObject({ kind: "applied" });
  });

  it("done: the new poster and downloads become the item's outputs, the request what it asked for last; the touch-up is over", () => {
    const id = randomUUID();
    const before = running(id, { thumbnailSeconds: 4, downloads: { mp4: "highest", audio: false } });
    expect(before.context.touchUp?.jobId).toBe("job-t");
    const made = { thumbnail: { key: posterKey(scope, id), seconds: 4.033 }, downloads: [{ name: "1080p.mp4" as const, key: downloadKey(scope, "1080p.mp4"), bytes: 10, width: 1920, height: 1080 }] };
    const { outcome, next } = outcomeOf(before, step({ kind: "done", id, eventId: randomUUID(), jobId: "job-t", output: made, at: AT + 5000 }));
    expect(outcome).toEqual({ kind: "applied", to: "ready", effects: [] });
    expect(next.context.output).toMatchObject({ thumbnailKey: made.thumbnail.key, thumbnailSeconds: 4.033, downloads: made.downloads, hlsMasterKey: output().hlsMasterKey });
    expect(next.context).toMatchObject({ touchUp: null, requestedThumbnailSeconds: 4, downloadsRequested: { mp4: "highest", audio: false } });
    // Its duplicate, or word from an older touch-up, changes nothing.
    expect(outcomeOf(next, step({ kind: "done", id, eventId: randomUUID(), jobId: "job-t", output: made, at: AT + 6000 })).outcome.kind).toBe("ignored");
  });

  it("done naming keys that are not its own: refused, nothing changes", () => {
    const id = randomUUID();
    const before = running(id);
    for (const bad of [
      { thumbnail: { key: posterKey(scope, randomUUID()), seconds: 1 }, downloads: null },
      { thumbnail: { key: output().thumbnailKey!, seconds: 1 }, downloads: null },
      { thumbnail: null, downloads: [{ name: "720p.mp4" as const, key: downloadKey({ ...scope, mediaId: randomUUID() }, "720p.mp4"), bytes: 1, width: 1, height: 1 }] },
    ]) {
      expect(outcomeOf(before, step({ kind: "done", id, eventId: randomUUID(), jobId: "job-t", output: bad, at: AT + 5000 })).outcome).toMatchObject({ kind: "refused", code: "INVALID_OUTPUT" });
    }
  });

  it("failed: the outputs stay, the touch-up says why, and another may be asked for", () => {
    const id = randomUUID();
    const { next } = outcomeOf(running(id), step({ kind: "failed", id, eventId: randomUUID(), jobId: "job-t", error: { code: "INPUT_NOT_FOUND", message: "gone", retriable: false }, at: AT + 3000 }));
    expect(next.value).toBe("ready");
    expect(next.context.output).toEqual(output({ downloads: [] }));
    expect(next.context.touchUp).toMatchObject({ id, status: "failed", error: { code: "INPUT_NOT_FOUND", message: "gone" } });
    expect(outcomeOf(next, step(request(randomUUID()))).outcome.kind).toBe("applied");
  });

  it("silent past its window: given up (TIMED_OUT) and its job cancelled; before the window, nothing", () => {
    const id = randomUUID();
    const before = running(id);
    expect(outcomeOf(before, step({ kind: "timeout", at: AT + 600_000 })).outcome.kind).toBe("ignored");
    const { outcome, next, actions } = outcomeOf(before, step({ kind: "timeout", at: AT + 601_000 }));
    expect(outcome).toEqual({ kind: "applied", to: "ready", effects: ["touchUpEffects"] });
    expect(actions.find((a) => a.type === "touchUpEffects")?.params).toEqual({ attemptId: currentAttempt, effects: [{ type: "cancel", jobId: "job-t" }] });
    expect(next.context.touchUp).toMatchObject({ status: "failed", error: { code: "TIMED_OUT" } });
  });

  it("a job for a touch-up that is over is cancelled; a delete cancels the one running", () => {
    const { outcome, actions } = outcomeOf(ready(), step({ kind: "dispatched", id: randomUUID(), jobId: "job-late" }));
    expect(outcome).toMatchObject({ kind: "ignored", effects: ["touchUpEffects"] });
    expect(actions.find((a) => a.type === "touchUpEffects")?.params).toEqual({ attemptId: currentAttempt, effects: [{ type: "cancel", jobId: "job-late" }] });
    const deleted = outcomeOf(running(randomUUID()), { type: "DELETE", actor: owner, at: AT + 9000 });
    expect(deleted.outcome).toEqual({ kind: "applied", to: "deleted", effects: ["touchUpEffects"] });
  });
});
