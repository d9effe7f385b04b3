import { env } from "cloudflare:test";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { api, useFakeRunpod, row, rowWhen, tokenFor, uploadedItem, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

describe("trigger guards", () => {
  it("refuses an item that is not uploaded yet (409) and one already transcoding", async () => {
    const item = await uploadedItem(uuid(), "video", { skipUpload: true });
    const early = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: "INVALID_STATE" });
    expect(early.body.error.message).toContain("uploading");

    const ready = await uploadedItem(uuid());
    await api("POST", `/api/media/${ready.id}/transcode`, { token: ready.token });
    const twice = await api("POST", `/api/media/${ready.id}/transcode`, { token: ready.token });
    expect(twice.status).toBe(409);
    expect(runpod.runs).toHaveLength(1);
  });

  it("refuses upload-complete while the original is not in storage", async () => {
    const item = await uploadedItem(uuid(), "video", { skipUpload: true });
    const done = await api("POST", `/api/media/${item.id}/upload-complete`, { token: item.token });
    expect(done.status).toBe(422);
    expect(done.body.error.code).toBe("INPUT_MISSING");
  });

  it("refuses a trigger whose original is missing from storage", async () => {
    const item = await uploadedItem(uuid());
    // The original disappears after upload-complete (deleted out of band).
    const r = await row(item.id);
    const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "auto" });
    const del = await s3.fetch(`${env.S3_ENDPOINT}/media/${r!.r2Key.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    const res = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "INPUT_MISSING", message: "The original is missing from storage" });
    expect(runpod.runs).toHaveLength(0);
  });

  it("answers 404 for another creator's item, and lets a service token trigger", async () => {
    const item = await uploadedItem(uuid());
    const other = await api("POST", `/api/media/${item.id}/transcode`, { token: await tokenFor(uuid()) });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe("NOT_FOUND");
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: await tokenFor(uuid()) });
    expect(status.status).toBe(404);
    const svc = await api("POST", `/api/media/${item.id}/transcode`, { token: "test-service-token" });
    expect(svc.status).toBe(202);
  });

  // A /run that never answers is not a refusal (the job may exist): test/worker/dispatch-lost-answer.test.ts.
  it.each(["500"] as const)("RunPod %s at dispatch: stays uploaded, keeps the error, a later trigger works", async (mode) => {
    const item = await uploadedItem(uuid());
    runpod.mode = mode;
    const res = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("DISPATCH_FAILED");
    expect(res.body.error.message).toMatch(/answered 500/);
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "uploaded", retriesUsed: 0, error: { code: "DISPATCH_FAILED" } });
    await rowWhen(item.id, (r) => r.status === "uploaded" && r.transcodingErrorCode === "DISPATCH_FAILED");

    runpod.mode = "ok";
    const again = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: "transcoding", retriesUsed: 0, error: null });
    await rowWhen(item.id, (r) => r.status === "transcoding" && r.transcodingErrorCode === null);
  });
});
