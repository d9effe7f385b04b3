import { describe, expect, it } from "vitest";
import { adminToken, api, useFakeRunpod, passDeadline, payloadFor, rowWhen, sendCallback, storedRecord, videoOutput, statusOf, transcodingItem, type FakeRunpod } from "./helpers.ts";

const runpod = useFakeRunpod();


describe("cancel", () => {
  it("a creator gets 403, even on their own item; an admin cancels and RunPod is told", async () => {
    const { item, job } = await transcodingItem(runpod);
    const mine = await api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: item.token });
    expect(mine.status).toBe(403);
    expect(mine.body.error.code).toBe("FORBIDDEN");
    expect((await statusOf(item)).status).toBe("transcoding");
    const res = await api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: await adminToken() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "failed", error: { code: "CANCELLED" }, retriesUsed: 0 });
    expect(runpod.cancels).toEqual([job.jobId]);
    // Cancelling what is not in flight is a conflict.
    expect((await api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: await adminToken() })).status).toBe(409);
  });
});

describe("the stuck-job alarm reconciles through RunPod's /status", () => {
  it("arms the first look at the job one stall window after trigger", async () => {
    const before = Date.now();
    const { item } = await transcodingItem(runpod);
    const rec = await storedRecord(item.id);
    // STALL_WINDOW_SECONDS = 600 (wrangler.toml): no duration is needed to judge a silent job.
    expect(rec.context.deadlineAt! - before).toBeGreaterThanOrEqual(600_000 - 1000);
    expect(rec.context.deadlineAt! - before).toBeLessThan(600_000 + 5000);
  });

  it("RunPod COMPLETED: the item becomes ready with the handler's result", async () => {
    const { item, job } = await transcodingItem(runpod);
    const output = videoOutput(job.input);
    runpod.statuses.set(job.jobId, { status: "COMPLETED", output: { status: "completed", attemptId: job.input.attemptId, output } });
    await passDeadline(item.id);
    expect(await statusOf(item)).toMatchObject({ status: "ready", output: { hlsMasterKey: output.hlsMasterKey } });
    expect(runpod.cancels).toEqual([]);
    await rowWhen(item.id, (r) => r.status === "ready" && r.hlsMasterPlaylistKey === output.hlsMasterKey);
  });

  it("RunPod FAILED: the item fails with the reported error", async () => {
    const { item, job } = await transcodingItem(runpod);
    runpod.statuses.set(job.jobId, { status: "FAILED", error: "handler crashed: out of memory" });
    await passDeadline(item.id);
    const s = await statusOf(item);
    expect(s).toMatchObject({ status: "failed", error: { code: "INTERNAL" } });
    expect(s.error.message).toContain("out of memory");
  });

  it("RunPod IN_PROGRESS and silent for the stall window: cancelled at RunPod and failed TIMED_OUT", async () => {
    const { item, job } = await transcodingItem(runpod);
    runpod.statuses.set(job.jobId, { status: "IN_PROGRESS" });
    await passDeadline(item.id);
    expect(await statusOf(item)).toMatchObject({ status: "failed", error: { code: "TIMED_OUT" }, deadlineAt: null });
    expect(runpod.cancels).toEqual([job.jobId]);
    await rowWhen(item.id, (r) => r.transcodingErrorCode === "TIMED_OUT");
  });

  it("an alarm before the deadline changes nothing", async () => {
    const { item } = await transcodingItem(runpod);
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const { stub } = await import("./helpers.ts");
    await runDurableObjectAlarm(stub(item.id));
    expect((await statusOf(item)).status).toBe("transcoding");
  });
});

describe("retries are counted once per retry", () => {
  const endings = {
    failure: async (item: { id: string }, job: ReturnType<FakeRunpod["lastJob"]>) =>
      sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true } })),
    timeout: async (item: { id: string }, job: ReturnType<FakeRunpod["lastJob"]>) => {
      runpod.statuses.set(job.jobId, { status: "IN_QUEUE" });
      await passDeadline(item.id);
    },
    cancel: async (item: { id: string }) => api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: await adminToken() }),
  };
  const mixes = [
    ["failure", "timeout"],
    ["timeout", "cancel"],
    ["cancel", "failure"],
  ] as const;
  it.each(mixes)("%s then %s: one retry, retriesUsed = 1, then refused", async (firstEnd, secondEnd) => {
    const { item, job } = await transcodingItem(runpod);
    await endings[firstEnd](item, job);
    expect(await statusOf(item)).toMatchObject({ status: "failed", retriesUsed: 0 });
    expect((await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token })).status).toBe(202);
    await endings[secondEnd](item, runpod.lastJob());
    expect(await statusOf(item)).toMatchObject({ status: "failed", retriesUsed: 1 });
    const refused = await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    expect(refused.status).toBe(422);
    expect(runpod.runs).toHaveLength(2);
    await rowWhen(item.id, (r) => r.status === "failed" && r.transcodingAttempts === 1);
  });
});
