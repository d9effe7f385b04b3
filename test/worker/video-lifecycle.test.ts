import { describe, expect, it } from "vitest";
import { api, audioOutput, useFakeRunpod, payloadFor, rowWhen, sendCallback, uploadedItem, uuid, videoOutput, type FakeRunpod } from "./helpers.ts";

const runpod = useFakeRunpod();

describe.each(["video", "audio"] as const)("%s lifecycle (design.md §4)", (mediaType) => {
  const outputFor = mediaType === "video" ? videoOutput : audioOutput;

  it("uploaded → transcoding → ready, projected into Postgres", async () => {
    const item = await uploadedItem(uuid(), mediaType);
    const trig = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(trig.status).toBe(202);
    expect(trig.body).toMatchObject({ status: "transcoding", retriesUsed: 0 });

    const job = runpod.lastJob();
    expect(runpod.runs[0]!.auth).toBe("Bearer runpod-test-key");
    expect(job.input).toMatchObject({ contractVersion: 1, mediaId: item.id, creatorId: item.creatorId, mediaType, webhookUrl: "http://control.test/api/transcoding/webhook" });
    expect(job.input.inputKey).toBe(`${item.creatorId}/originals/${item.id}/${mediaType === "video" ? "clip_one.mp4" : "voice.m4a"}`);

    expect((await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 42 }))).status).toBe(200);
    const mid = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(mid.body).toMatchObject({ status: "transcoding", phase: "encoding", percent: 42, jobId: job.jobId });

    const output = outputFor(job.input);
    const done = await sendCallback(payloadFor(job, { status: "completed", output }));
    expect(done).toMatchObject({ status: 200, body: { outcome: "applied", status: "ready" } });

    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "ready", percent: 100, retriesUsed: 0, error: null, readyVariants: output.readyVariants, loudness: output.loudness });
    expect(status.body.output.hlsMasterKey).toBe(output.hlsMasterKey);

    const r = await rowWhen(item.id, (r) => r.status === "ready");
    expect(r).toMatchObject({
      status: "ready",
      hlsMasterPlaylistKey: output.hlsMasterKey,
      waveformKey: output.waveformKey,
      transcodingAttempts: 0,
      runpodJobId: job.jobId,
      loudnessIntegrated: -1604,
      loudnessPeak: -152,
      loudnessRange: 430,
      readyVariants: output.readyVariants,
      mezzanineStatus: "ready",
    });
    expect(r!.transcodingFinishedAt).toBeInstanceOf(Date);
  });

  it("failure, retry, success: retriesUsed = 1; a second retry is refused and changes nothing", async () => {
    const item = await uploadedItem(uuid(), mediaType);
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const first = runpod.lastJob();
    const failed = await sendCallback(payloadFor(first, { status: "failed", error: { code: "ENCODE_FAILED", message: "encoder crashed", retriable: true } }));
    expect(failed.body).toMatchObject({ outcome: "applied", status: "failed" });
    await rowWhen(item.id, (r) => r.status === "failed" && r.transcodingErrorCode === "ENCODE_FAILED" && r.transcodingAttempts === 0);

    const retry = await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: "transcoding", retriesUsed: 1, error: null });
    const second = runpod.lastJob();
    expect(second.input.attemptId).not.toBe(first.input.attemptId);

    await sendCallback(payloadFor(second, { status: "completed", output: outputFor(second.input) }));
    const r = await rowWhen(item.id, (r) => r.status === "ready");
    expect(r).toMatchObject({ transcodingAttempts: 1, transcodingError: null, attemptId: second.input.attemptId });

    // Ready is not failed: the retry route answers 422 and nothing moves.
    const again = await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ code: "INVALID_STATE" });
    expect(again.body.error.requestId).toBeTruthy();
  });

  it("a second failure after the retry leaves the retry spent: 422, retriesUsed stays 1", async () => {
    const item = await uploadedItem(uuid(), mediaType);
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const fail = (job: ReturnType<FakeRunpod["lastJob"]>) =>
      sendCallback(payloadFor(job, { status: "failed", error: { code: "INPUT_UNREADABLE", message: "moov atom not found", retriable: false } }));
    await fail(runpod.lastJob());
    await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    await fail(runpod.lastJob());
    const refused = await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("RETRY_EXHAUSTED");
    expect(refused.body.error.message).toMatch(/retry is spent/);
    expect(runpod.runs).toHaveLength(2);
    const r = await rowWhen(item.id, (r) => r.status === "failed" && r.transcodingAttempts === 1);
    expect(r).toMatchObject({ transcodingAttempts: 1, transcodingErrorCode: "INPUT_UNREADABLE" });
  });
});
