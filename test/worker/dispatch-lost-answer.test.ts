import { describe, expect, it } from "vitest";
import { api, useFakeRunpod, passDeadline, payloadFor, rowWhen, sendCallback, statusOf, uploadedItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();

describe("a lost answer from RunPod's /run never costs a second job", () => {
  it("the item keeps its attempt; a second trigger is refused; the job's first callback brings its id and it completes", async () => {
    const item = await uploadedItem(uuid());
    runpod.mode = "accept-then-hang";
    const res = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "transcoding", jobId: null, dispatchUnconfirmed: true, retriesUsed: 0 });
    expect(runpod.runs).toHaveLength(1);

    runpod.mode = "ok";
    expect((await api("POST", `/api/media/${item.id}/transcode`, { token: item.token })).status).toBe(409);
    expect(runpod.runs).toHaveLength(1);

    const job = runpod.lastJob(); // the job RunPod took, whose id never reached us
    await sendCallback(payloadFor(job, { status: "progress", phase: "downloading", percent: 1 }));
    expect(await statusOf(item)).toMatchObject({ status: "transcoding", jobId: job.jobId, dispatchUnconfirmed: false });
    await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(await statusOf(item)).toMatchObject({ status: "ready", jobId: job.jobId });
    expect(runpod.runs).toHaveLength(1);
    expect(runpod.cancels).toEqual([]);
  });

  it("silence for the stall window: back to uploaded with nothing spent; when the lost job shows up later it is cancelled, once", async () => {
    const item = await uploadedItem(uuid());
    runpod.mode = "accept-then-hang";
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const orphan = runpod.lastJob();
    await passDeadline(item.id);
    expect(await statusOf(item)).toMatchObject({ status: "uploaded", retriesUsed: 0, error: { code: "DISPATCH_FAILED" } });
    await rowWhen(item.id, (r) => r.status === "uploaded" && r.transcodingErrorCode === "DISPATCH_FAILED");

    runpod.mode = "ok";
    expect((await api("POST", `/api/media/${item.id}/transcode`, { token: item.token })).status).toBe(202);
    const current = runpod.lastJob();
    expect(current.jobId).not.toBe(orphan.jobId);

    // The lost job started after all: its progress is acknowledged, and RunPod is told to cancel it.
    const late = await sendCallback(payloadFor(orphan, { status: "progress", phase: "downloading", percent: 1 }));
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ outcome: "ignored" });
    expect(runpod.cancels).toEqual([orphan.jobId]);
    await sendCallback(payloadFor(orphan, { status: "progress", phase: "encoding", percent: 20 }));
    expect(runpod.cancels).toEqual([orphan.jobId]); // once
    expect(await statusOf(item)).toMatchObject({ status: "transcoding", jobId: current.jobId });
  });

  it("RunPod unreachable at dispatch (no answer at all, nothing taken): the same wait, then back to uploaded", async () => {
    const item = await uploadedItem(uuid());
    runpod.mode = "hang";
    const res = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(res.body).toMatchObject({ status: "transcoding", dispatchUnconfirmed: true });
    await passDeadline(item.id);
    expect(await statusOf(item)).toMatchObject({ status: "uploaded", retriesUsed: 0, error: { code: "DISPATCH_FAILED" } });
    runpod.mode = "ok";
    expect((await api("POST", `/api/media/${item.id}/transcode`, { token: item.token })).status).toBe(202);
  });
});
