import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { callbackPayload } from "../../../src/contract/index.ts";
import { CallbackSender } from "../../src/runtime/callback-sender.ts";
import { until, webhookReceiver } from "./support.ts";
import { SECRET } from "./support.ts";

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe("progress tells the control plane the job is alive and how long it may take", () => {
  it("carries the probed duration once known, and repeats the last progress while a step moves nothing", async () => {
    const hook = await webhookReceiver();
    receivers.push(hook);
    const target = { webhookUrl: hook.url, secret: SECRET, mediaId: randomUUID(), attemptId: randomUUID(), jobId: "job-1" };
    const sender = new CallbackSender(target, { progressIntervalMs: 10, heartbeatMs: 60 });
    sender.progress("downloading", 1);
    await until(() => hook.received.length >= 1);
    sender.setDuration(12.5);
    sender.progress("encoding", 40);
    // Nothing moves for a while (a long upload): the heartbeat repeats 40 %.
    await until(() => hook.received.filter((c) => c.status === "progress" && c.percent === 40).length >= 3);
    await sender.failed({ code: "ENCODE_FAILED", message: "x", retriable: true });
    const count = hook.received.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(hook.received.length).toBe(count); // nothing after the terminal callback

    const progress = hook.received.filter((c) => c.status === "progress");
    // A loaded machine may let the heartbeat repeat 1 % before the test moves on, so the
    // shape is asserted, not the count: 1 % without a duration, then only 40 % with it.
    const first40 = progress.findIndex((c) => c.percent === 40);
    expect(first40).toBeGreaterThan(0);
    expect(progress.slice(0, first40).every((c) => c.percent === 1 && c.durationSeconds === null)).toBe(true);
    const after = progress.slice(first40);
    expect(after.length).toBeGreaterThanOrEqual(2); // the update and at least one heartbeat
    expect(after.every((c) => c.percent === 40 && c.durationSeconds === 12.5)).toBe(true);
    expect(new Set(progress.map((c) => c.eventId)).size).toBe(progress.length); // each is its own event
    for (const c of hook.received) expect(callbackPayload.safeParse(c).success).toBe(true);
  });
});
