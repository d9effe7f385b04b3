import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminToken, api, useFakeRunpod, payloadFor, rowWhen, sendCallback, tokenFor, uploadedItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();

const register = async (body: Record<string, unknown>) =>
  api("POST", "/api/media", { token: await tokenFor(uuid()), body: { mediaType: "video", filename: "a.mp4", size: 10, contentType: "video/mp4", ...body } });

describe("a client's mistake is a 400, never a 503", () => {
  it("a content type longer than the column: 400 naming the field", async () => {
    const res = await register({ contentType: `video/${"x".repeat(194)}` });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_BODY");
    expect(Object.keys(res.body.error.details.properties)).toEqual(["contentType"]);
  });
  it("a NUL or another control byte in the filename: 400 naming the field", async () => {
    for (const filename of ["clip\u0000.mp4", "clip\u001b[31m.mp4"]) {
      const res = await register({ filename });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.error.details.properties)).toEqual(["filename"]);
    }
  });
  it("a filename of 255 characters is fine, 256 is not", async () => {
    expect((await register({ filename: `${"é".repeat(251)}.mp4` })).status).toBe(201);
    expect((await register({ filename: `${"é".repeat(252)}.mp4` })).status).toBe(400);
  });
});

describe("bearer tokens: exp required, iss and aud checked, clock skew bounded", () => {
  const statusWith = async (token: string) => (await api("GET", `/api/media/${uuid()}/transcoding-status`, { token })).status;
  it("a well-formed token is accepted (404: it may ask, the item does not exist)", async () => {
    expect(await statusWith(await tokenFor(uuid(), "admin"))).toBe(404);
  });
  it("expired, exp-less, another audience, another issuer, no audience: 401", async () => {
    const sub = uuid();
    for (const claims of [{ expiresIn: -120 }, { expiresIn: null }, { aud: "another-service" }, { iss: "someone-else" }, { aud: null }, { iss: null }]) {
      const res = await api("GET", `/api/media/${uuid()}/transcoding-status`, { token: await tokenFor(sub, "admin", claims) });
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHENTICATED");
    }
  });
  it("a token that expired within the 30 s tolerance still passes; one past it does not", async () => {
    expect(await statusWith(await tokenFor(uuid(), "admin", { expiresIn: -10 }))).toBe(404);
    expect(await statusWith(await tokenFor(uuid(), "admin", { expiresIn: -45 }))).toBe(401);
  });
});

describe("admin file paths that once threw", () => {
  it("a prototype key is 404 and a malformed escape is 400, both in the envelope", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const job = runpod.lastJob();
    await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    await rowWhen(item.id, (r) => r.status === "ready");
    const admin = await adminToken();
    const get = async (path: string) => {
      const res = await SELF.fetch(`http://control.test/api/admin/media/${item.id}/files/${path}`, { headers: { authorization: `Bearer ${admin}` } });
      return { status: res.status, body: (await res.json()) as { error: { code: string; requestId: string } } };
    };
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const res = await get(name);
      expect(res.status, name).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    for (const path of ["%E0%A4%A", "hls/%", "hls/%zz"]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error).toMatchObject({ code: "INVALID_PATH", requestId: expect.any(String) });
    }
  });
});
