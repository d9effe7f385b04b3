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
    await until(() => hook.received.length >= 4);
    await sender.failed({ code: "ENCODE_FAILED", message: "x", retriable: true });
    const count = hook.received.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(hook.received.length).toBe(count); // nothing after the terminal callback

    const progress = hook.received.filter((c) => c.status === "progress");
    expect(progress[0]).toMatchObject({ percent: 1, durationSeconds: null });
    expect(progress.slice(1).every((c) => c.percent === 40 && c.durationSeconds === 12.5)).toBe(true);
    expect(new Set(progress.map((c) => c.eventId)).size).toBe(progress.length); // each is its own event
    for (const c of hook.received) expect(callbackPayload.safeParse(c).success).toBe(true);
  });
});
