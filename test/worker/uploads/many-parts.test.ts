import { describe, expect, it } from "vitest";
import { sendParts, uploadAll } from "../../../dev/multipart-client.ts";
import { api, apiAs, registered, row, sha256, storedBytes, tokenFor, uploadFixture, uuid } from "../helpers.ts";

describe("resumable multipart upload", () => {
  it("a real 1 MB file in 64 KiB parts, sent in random order 4 at a time, arrives byte for byte", async () => {
    const file = await uploadFixture();
    const creatorId = uuid();
    const token = await tokenFor(creatorId);
    const { id, upload } = await registered(token, file.length);
    expect(upload).toMatchObject({ partSize: 65_536, partCount: Math.ceil(file.length / 65_536), size: file.length });
    expect(upload.partCount).toBeGreaterThanOrEqual(12);
    const done = await uploadAll(apiAs(token), id, async (s, e) => file.subarray(s, e), { order: "shuffled", concurrency: 4 });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "uploaded" });
    const key = (await row(id))!.r2Key;
    expect(await sha256(await storedBytes(key))).toBe(await sha256(file));
    // The upload is closed: no more part URLs, the item's original cannot be replaced.
    const more = await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: [1] } });
    expect([more.status, more.body.error.code]).toEqual([409, "INVALID_STATE"]);
  });

  it("killed half way and resumed by a new client: only the missing parts are sent, and the file is whole", async () => {
    const file = await uploadFixture();
    const token = await tokenFor(uuid());
    const { id, upload } = await registered(token, file.length);
    const read = async (s: number, e: number) => file.subarray(s, e);
    const first = await sendParts(apiAs(token), id, read, { order: "shuffled", stopAfter: Math.floor(upload.partCount / 2), concurrency: 1 });
    expect(first).toBe(Math.floor(upload.partCount / 2));
    // What a client that crashed learns when it comes back.
    const listed = await api("GET", `/api/media/${id}/upload`, { token });
    expect(listed.body.parts).toHaveLength(first);
    const second = await sendParts(apiAs(token), id, read);
    expect(first + second).toBe(upload.partCount);
    const done = await api("POST", `/api/media/${id}/upload-complete`, { token });
    expect(done.status).toBe(200);
    expect(await sha256(await storedBytes((await row(id))!.r2Key))).toBe(await sha256(file));
  });

  it("part URLs come in batches for the owner only, within the upload's parts", async () => {
    const file = await uploadFixture();
    const token = await tokenFor(uuid());
    const { id, upload } = await registered(token, file.length);
    const ok = await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: [1, 2, 3] } });
    expect(ok.status).toBe(200);
    expect(ok.body.parts.map((p: any) => p.partNumber)).toEqual([1, 2, 3]);
    const url = new URL(ok.body.parts[0].url);
    expect(url.searchParams.get("partNumber")).toBe("1");
    expect(url.searchParams.get("uploadId")).toBe(upload.uploadId);
    expect(Number(url.searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(3600);
    expect((await api("POST", `/api/media/${id}/upload/parts`, { token: await tokenFor(uuid()), body: { partNumbers: [1] } })).status).toBe(404);
    expect((await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: [upload.partCount + 1] } })).status).toBe(409);
    expect((await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) } })).status).toBe(400);
    expect((await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: [0] } })).status).toBe(400);
  });
});
