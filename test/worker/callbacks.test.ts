import { describe, expect, it } from "vitest";
import { MAX_CALLBACK_BYTES } from "../../src/routes/callbacks.ts";
import { signPayload } from "../../src/contract/index.ts";
import { adminToken, api, useFakeRunpod, payloadFor, rowWhen, sendCallback, uuid, videoOutput, statusOf, transcodingItem } from "./helpers.ts";

const runpod = useFakeRunpod();


describe("callback authenticity", () => {
  it("401 for a missing, forged, malformed or stale signature; nothing changes", async () => {
    const { item, job } = await transcodingItem(runpod);
    const body = payloadFor(job, { status: "completed", output: videoOutput(job.input) });
    expect((await sendCallback(body, { signature: null })).status).toBe(401);
    expect((await sendCallback(body, { secret: "not-the-secret" })).status).toBe(401);
    expect((await sendCallback(body, { signature: "t=abc,v1=zz" })).status).toBe(401);
    // Replayed later: a correct signature made more than 300 s ago.
    const replay = await sendCallback(body, { t: Math.floor(Date.now() / 1000) - 301 });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatchObject({ code: "INVALID_SIGNATURE", message: "Signature stale" });
    // A signature over other bytes than those sent.
    const sig = await signPayload("test-webhook-secret", JSON.stringify({ ...body, percent: 1 }));
    expect((await sendCallback(body, { signature: sig })).status).toBe(401);
    expect((await statusOf(item)).status).toBe("transcoding");
  });

  it("accepts the previous secret during a rotation", async () => {
    const { job } = await transcodingItem(runpod);
    const res = await sendCallback(payloadFor(job, { status: "progress", phase: "downloading", percent: 5 }), { secret: "test-webhook-secret-old" });
    expect(res.body).toMatchObject({ outcome: "applied" });
  });

  it("413 over 1 MiB, 400 for malformed JSON or a payload outside the contract", async () => {
    const { job } = await transcodingItem(runpod);
    const big = JSON.stringify({ pad: "x".repeat(MAX_CALLBACK_BYTES) });
    expect((await sendCallback(null, { raw: big })).status).toBe(413);
    const bad = await sendCallback(null, { raw: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("MALFORMED_JSON");
    const off = await sendCallback({ ...payloadFor(job, { status: "progress", phase: "encoding", percent: 5 }), percent: 140 });
    expect(off.status).toBe(400);
    expect(off.body.error.code).toBe("INVALID_BODY");
  });

  it("acknowledges and ignores a callback for unknown media", async () => {
    const { job } = await transcodingItem(runpod);
    const res = await sendCallback({ ...payloadFor(job, { status: "progress", phase: "encoding", percent: 5 }), mediaId: uuid() });
    expect(res).toMatchObject({ status: 200, body: { outcome: "ignored", reason: "unknown media" } });
  });
});

describe("callbacks that change nothing", () => {
  it("a duplicated event is applied once", async () => {
    const { item, job } = await transcodingItem(runpod);
    const p = payloadFor(job, { status: "progress", phase: "encoding", percent: 30 });
    expect((await sendCallback(p)).body.outcome).toBe("applied");
    const before = await statusOf(item);
    const dup = await sendCallback(p);
    expect(dup.body).toMatchObject({ outcome: "ignored", reason: "duplicate event" });
    expect((await statusOf(item)).version).toBe(before.version);
  });

  it("progress going backwards is acknowledged and not recorded", async () => {
    const { item, job } = await transcodingItem(runpod);
    await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 60 }));
    const back = await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 20 }));
    expect(back.body).toMatchObject({ outcome: "ignored", reason: "progress going backwards" });
    expect((await statusOf(item)).percent).toBe(60);
  });

  it("the previous attempt's callbacks after a retry change nothing", async () => {
    const { item, job } = await transcodingItem(runpod);
    await sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true } }));
    await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    const current = runpod.lastJob();
    const late = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(late.body).toMatchObject({ outcome: "ignored", reason: "callback for another attempt" });
    expect(await statusOf(item)).toMatchObject({ status: "transcoding", attemptId: current.input.attemptId, retriesUsed: 1 });
  });

  it("completed twice: the second is refused and the first result stands", async () => {
    const { item, job } = await transcodingItem(runpod);
    const first = videoOutput(job.input);
    await sendCallback(payloadFor(job, { status: "completed", output: first }));
    const second = await sendCallback(payloadFor(job, { status: "completed", output: { ...first, readyVariants: ["360p"] } }));
    expect(second).toMatchObject({ status: 200, body: { outcome: "refused" } });
    expect((await statusOf(item)).readyVariants).toEqual(first.readyVariants);
  });

  it("completed after an admin cancel is refused; the item stays failed CANCELLED", async () => {
    const { item, job } = await transcodingItem(runpod);
    const cancel = await api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: await adminToken() });
    expect(cancel.body).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
    expect(runpod.cancels).toEqual([job.jobId]);
    const late = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(late.body).toMatchObject({ outcome: "refused" });
    expect(late.body.reason).toContain("failed");
    await rowWhen(item.id, (r) => r.status === "failed" && r.transcodingErrorCode === "CANCELLED");
  });
});

describe("a valid result is never refused", () => {
  it("a silent video with no archive: loudness, waveform and mezzanine null", async () => {
    const { item, job } = await transcodingItem(runpod);
    const output = videoOutput(job.input, { loudness: null, mezzanineKey: null, hlsPreviewKey: null, readyVariants: ["360p"], width: 640, height: 360 });
    const res = await sendCallback(payloadFor(job, { status: "completed", output }));
    expect(res.body).toMatchObject({ outcome: "applied", status: "ready" });
    const r = await rowWhen(item.id, (r) => r.status === "ready");
    expect(r).toMatchObject({ loudnessIntegrated: null, mezzanineKey: null, mezzanineStatus: null, waveformKey: null, width: 640, height: 360 });
  });
});
