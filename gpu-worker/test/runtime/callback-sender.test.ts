import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { CallbackSender } from "../../src/runtime/callback-sender.ts";
import { SECRET, until, webhookReceiver } from "./support.ts";

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function setup(answer?: Parameters<typeof webhookReceiver>[0], secret = SECRET) {
  const hook = await webhookReceiver(answer);
  receivers.push(hook);
  const target = { webhookUrl: hook.url, secret, mediaId: randomUUID(), attemptId: randomUUID(), jobId: "job-1" };
  return { hook, target };
}

const failure = { code: "ENCODE_FAILED" as const, message: "x", retriable: true };

describe("callback sender", () => {
  it("signs callbacks that the control plane's verifier accepts", async () => {
    const { hook, target } = await setup();
    const sender = new CallbackSender(target);
    expect(await sender.failed(failure)).toEqual({ delivered: true, attempts: 1, status: 200 });
    expect(hook.rejected).toEqual([]);
    expect(hook.received[0]).toMatchObject({ status: "failed", mediaId: target.mediaId, attemptId: target.attemptId, jobId: "job-1", error: failure });
  });

  it("a callback signed with another secret is refused by the verifier", async () => {
    const { hook, target } = await setup(undefined, "not-the-secret");
    const result = await new CallbackSender(target, { retryBaseMs: 5, terminalDeadlineMs: 100 }).failed(failure);
    expect(result.delivered).toBe(false);
    expect(hook.rejected[0]).toBe("mismatch");
  });

  it("retries a terminal callback with the same eventId until it is acknowledged", async () => {
    const { hook, target } = await setup((n) => (n <= 2 ? 503 : 200));
    const seen: string[] = [];
    const sender = new CallbackSender(target, { retryBaseMs: 10, fetch: async (url, init) => {
      seen.push(JSON.parse(String(init?.body)).eventId);
      return fetch(url, init);
    } });
    expect(await sender.failed(failure)).toEqual({ delivered: true, attempts: 3, status: 200 });
    expect(new Set(seen).size).toBe(1);
  });

  it("keeps retrying while the receiver is unreachable, then stops at the deadline", async () => {
    const target = { webhookUrl: "http://127.0.0.1:9/unreachable", secret: SECRET, mediaId: randomUUID(), attemptId: randomUUID(), jobId: null };
    const result = await new CallbackSender(target, { retryBaseMs: 10, terminalDeadlineMs: 200 }).failed(failure);
    expect(result.delivered).toBe(false);
    expect(result.attempts).toBeGreaterThan(2);
  });

  it("does not retry a body the receiver rejects as malformed (400)", async () => {
    const { hook, target } = await setup(() => 400);
    const result = await new CallbackSender(target, { retryBaseMs: 10 }).failed(failure);
    expect(result).toEqual({ delivered: false, attempts: 1, status: 400 });
    expect(hook.attempts()).toBe(1);
  });

  it("sends the newest progress, throttled, in order, and nothing after the terminal callback", async () => {
    const { hook, target } = await setup();
    const sender = new CallbackSender(target, { progressIntervalMs: 80 });
    sender.progress("downloading", 2);
    sender.progress("encoding", 30);
    sender.progress("encoding", 20); // superseded before the throttle lets it out
    sender.progress("encoding", 45);
    await until(() => hook.received.length >= 2);
    sender.progress("encoding", 40); // superseded too
    sender.progress("packaging", 90);
    await until(() => hook.received.length >= 3);
    await sender.failed(failure);
    sender.progress("uploading", 99);
    await new Promise((r) => setTimeout(r, 150));
    const sequence = hook.received.map((c) => (c.status === "progress" ? c.percent : c.status));
    expect(sequence).toEqual([2, 45, 90, "failed"]);
  });
});
