import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { useFakeRunpod, passDeadline, payloadFor, sendCallback, statusOf, storedRecord, stub, transcodingItem } from "./helpers.ts";

const runpod = useFakeRunpod();

const STALL_MS = 600_000; // STALL_WINDOW_SECONDS in wrangler.toml

describe("a job is stuck when it goes silent, not at a fixed time", () => {
  it("a job sending progress is alive at its deadline: not cancelled, looked at again a stall window after its last progress", async () => {
    const { item, job } = await transcodingItem(runpod);
    runpod.statuses.set(job.jobId, { status: "IN_PROGRESS" });
    await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 30 }));
    const before = await storedRecord(item.id);
    // The first look comes due while the worker keeps reporting (only the deadline moves).
    await passDeadline(item.id, { clocks: [] });
    const s = await statusOf(item);
    expect(s).toMatchObject({ status: "transcoding", percent: 30, error: null });
    expect(runpod.cancels).toEqual([]);
    const after = await storedRecord(item.id);
    expect(after.context.deadlineAt).toBe(before.context.lastActivityAt! + STALL_MS);
  });

  it("a job that goes silent for the stall window is failed TIMED_OUT and cancelled at RunPod", async () => {
    const { item, job } = await transcodingItem(runpod);
    runpod.statuses.set(job.jobId, { status: "IN_PROGRESS" });
    await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 30 }));
    await passDeadline(item.id, { byMs: STALL_MS + 1000 });
    const s = await statusOf(item);
    expect(s).toMatchObject({ status: "failed", error: { code: "TIMED_OUT" } });
    expect(s.error.message).toMatch(/No progress from the job for 60\d s/);
    expect(runpod.cancels).toEqual([job.jobId]);
  });

  it("the duration the worker probed sets the hard ceiling, counted from that progress (not from dispatch)", async () => {
    const { item, job } = await transcodingItem(runpod);
    const sent = Date.now();
    await sendCallback({ ...payloadFor(job, { status: "progress", phase: "probing", percent: 6 }), durationSeconds: 600 } as never);
    const rec = await storedRecord(item.id);
    // max(900 s floor, 600 s × 3) = 1800 s from the callback.
    expect(rec.context.hardDeadlineAt! - sent).toBeGreaterThanOrEqual(1_800_000 - 100);
    expect(rec.context.hardDeadlineAt! - sent).toBeLessThan(1_800_000 + 2000);
    expect((await statusOf(item)).hardDeadlineAt).toBe(new Date(rec.context.hardDeadlineAt!).toISOString());
    // Past the ceiling a job is stopped even while it reports progress.
    runpod.statuses.set(job.jobId, { status: "IN_PROGRESS" });
    await passDeadline(item.id, { byMs: 1_800_000 + 1000, clocks: ["hardDeadlineAt"] });
    expect(await statusOf(item)).toMatchObject({ status: "failed", error: { code: "TIMED_OUT", message: expect.stringContaining("hard ceiling") } });
  });

  it("a job still in RunPod's queue within the queue ceiling waits, however long past the stall window", async () => {
    const { item, job } = await transcodingItem(runpod);
    runpod.statuses.set(job.jobId, { status: "IN_QUEUE" });
    await passDeadline(item.id, { byMs: 20 * 60_000 }); // 20 min queued: past the stall window, within the hour
    expect(await statusOf(item)).toMatchObject({ status: "transcoding", error: null });
    expect(runpod.cancels).toEqual([]);
    // It is looked at again, and the alarm is set for it.
    expect(await runDurableObjectAlarm(stub(item.id))).toBe(true);
  });
});
