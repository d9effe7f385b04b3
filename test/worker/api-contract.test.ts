import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TranscoderRpc } from "../../src/rpc.ts";
import { api, useFakeRunpod, payloadFor, sendCallback, tokenFor, uploadedItem, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

describe("errors share one envelope with a request id", () => {
  it("400 for an id that is not a uuid", async () => {
    const res = await api("GET", "/api/media/not-a-uuid/transcoding-status", { token: await tokenFor(uuid()) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "INVALID_ID" });
    expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
  });
  it("401 without a token or with a token signed by another secret; 403 for a creator on an admin route", async () => {
    const id = uuid();
    expect((await api("GET", `/api/media/${id}/transcoding-status`)).status).toBe(401);
    const forged = await api("GET", `/api/media/${id}/transcoding-status`, { token: await tokenFor(uuid(), "admin", { secret: "some-other-secret-0123456789abcdef" }) });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("UNAUTHENTICATED");
    const creator = await api("POST", `/api/media/${id}/cancel-transcoding`, { token: await tokenFor(uuid()) });
    expect(creator.status).toBe(403);
  });
  it("400 for a malformed registration, with the fields that failed", async () => {
    const token = await tokenFor(uuid());
    const bad = await api("POST", "/api/media", { token, body: { mediaType: "image", filename: "", size: -1, contentType: "text/plain" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_BODY");
    expect(Object.keys(bad.body.error.details.properties)).toEqual(expect.arrayContaining(["mediaType", "filename", "size", "contentType"]));
    const garbled = await api("POST", "/api/media", { token, raw: "{" });
    expect(garbled.body.error.code).toBe("MALFORMED_JSON");
  });
  it("an unknown item is 404 for its status", async () => {
    const res = await api("GET", `/api/media/${uuid()}/transcoding-status`, { token: await tokenFor(uuid(), "admin") });
    expect(res.status).toBe(404);
  });
  it("an unknown route is 404 in the envelope", async () => {
    const res = await SELF.fetch("http://control.test/nope");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});

describe("registration", () => {
  it("creates the row in uploading with a safe key and a presigned PUT that s3 accepts", async () => {
    const creatorId = uuid();
    const item = await uploadedItem(creatorId);
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "uploaded", retriesUsed: 0, mediaType: "video" });
  });
});

describe("RPC entrypoint for the upload service", () => {
  it("triggerJob, getTranscodingStatus, retryTranscoding and cancelJob act as the HTTP routes do", async () => {
    const item = await uploadedItem(uuid());
    // The entrypoint class is exercised directly: it is what a service binding would call.
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const svc = new TranscoderRpc(ctx, env);
    expect(await svc.triggerJob(item.id, item.creatorId)).toMatchObject({ status: "transcoding" });
    await expect(svc.triggerJob(item.id, uuid())).rejects.toThrow(/^NOT_FOUND/);
    await expect(svc.getTranscodingStatus("nope", item.creatorId)).rejects.toThrow(/^INVALID_ID/);
    const job = runpod.lastJob();
    await sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true } }));
    expect(await svc.getTranscodingStatus(item.id, item.creatorId)).toMatchObject({ status: "failed", error: { code: "ENCODE_FAILED" } });
    expect(await svc.retryTranscoding(item.id, item.creatorId)).toMatchObject({ status: "transcoding", retriesUsed: 1 });
    expect(await svc.cancelJob(item.id, uuid())).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
    await expect(svc.retryTranscoding(item.id, item.creatorId)).rejects.toThrow(/^RETRY_EXHAUSTED/);
  });
});
