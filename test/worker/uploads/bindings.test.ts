import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uploadAll } from "../../../dev/multipart-client.ts";
import { api, apiAs, registered, row, SMALL_MP4, tokenFor, uuid } from "../helpers.ts";

/** A file of `size` bytes that opens like an MP4. */
const mp4Of = (size: number) => {
  const b = new Uint8Array(size);
  b.set(SMALL_MP4);
  return b;
};
const partUrls = async (token: string, id: string, partNumbers: number[]) => {
  const res = await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers } });
  expect(res.status).toBe(200);
  return new Map<number, string>(res.body.parts.map((p: { partNumber: number; url: string }) => [p.partNumber, p.url]));
};
const put = async (url: string, body: Uint8Array) => {
  const res = await fetch(url, { method: "PUT", body });
  const text = await res.text();
  return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? null };
};

// vitest.config.ts: 64 KiB parts; LIMIT_OPEN_UPLOADS 6, LIMIT_REGISTRATIONS_PER_DAY 10.
describe("a part URL binds one part of one upload of one key, and its planned length", () => {
  it("a body longer or shorter than planned is refused at storage; the planned one is taken", async () => {
    const token = await tokenFor(uuid());
    const size = 65_536 + 100;
    const { id } = await registered(token, size);
    const urls = await partUrls(token, id, [1, 2]);
    expect(await put(urls.get(2)!, mp4Of(1024 * 1024))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await put(urls.get(2)!, mp4Of(99))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect((await api("GET", `/api/media/${id}/upload`, { token })).body.parts).toEqual([]);
    const file = mp4Of(size);
    expect(await put(urls.get(1)!, file.subarray(0, 65_536))).toMatchObject({ status: 200 });
    expect(await put(urls.get(2)!, file.subarray(65_536))).toMatchObject({ status: 200 });
    expect((await api("POST", `/api/media/${id}/upload-complete`, { token })).status).toBe(200);
  });

  it("the URL rewritten to another item's upload, another part or a zeroed signature writes nothing", async () => {
    const token = await tokenFor(uuid());
    const mine = await registered(token, 100);
    const theirToken = await tokenFor(uuid());
    const theirs = await registered(theirToken, 100);
    const url = (await partUrls(token, mine.id, [1])).get(1)!;
    const keyOf = async (id: string) => (await row(id))!.r2Key.split("/").map(encodeURIComponent).join("/");
    const rewritten = url.replace(await keyOf(mine.id), await keyOf(theirs.id)).replace(mine.upload.uploadId, theirs.upload.uploadId);
    expect(rewritten).not.toBe(url);
    expect(await put(rewritten, mp4Of(100))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await put(url.replace("partNumber=1", "partNumber=2"), mp4Of(100))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await put(url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`), mp4Of(100))).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
    expect((await api("GET", `/api/media/${mine.id}/upload`, { token })).body.parts).toEqual([]);
    expect((await api("GET", `/api/media/${theirs.id}/upload`, { token: theirToken })).body.parts).toEqual([]);
  });

  it("storage refuses an unsigned request outright", async () => {
    const res = await fetch(`${env.S3_ENDPOINT}/media/anything.mp4`, { method: "PUT", body: "x" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("AccessDenied");
  });
});

describe("registrations are bounded per creator", () => {
  it("uploads open at once: the seventh is 429 with Retry-After until one completes", async () => {
    const token = await tokenFor(uuid());
    const open = [];
    for (let i = 0; i < 6; i++) open.push(await registered(token, 11));
    const seventh = await api("POST", "/api/media", { token, body: { mediaType: "video", filename: "x.mp4", size: 11, contentType: "video/mp4" } });
    expect(seventh.status).toBe(429);
    expect(seventh.body.error).toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("uploads open") });
    expect(Number(seventh.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await uploadAll(apiAs(token), open[0]!.id, async () => SMALL_MP4)).status).toBe(200);
    expect((await api("POST", "/api/media", { token, body: { mediaType: "video", filename: "x.mp4", size: 11, contentType: "video/mp4" } })).status).toBe(201);
  });

  it("registrations per 24 hours: the eleventh is 429 even with every upload completed", async () => {
    const token = await tokenFor(uuid());
    for (let i = 0; i < 10; i++) {
      const { id } = await registered(token, 11);
      expect((await uploadAll(apiAs(token), id, async () => SMALL_MP4)).status).toBe(200);
    }
    const eleventh = await api("POST", "/api/media", { token, body: { mediaType: "video", filename: "x.mp4", size: 11, contentType: "video/mp4" } });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.error.message).toContain("registered 10 uploads");
  });
});
