import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signPlaybackToken } from "../../src/http/playback-token.ts";
import { adminToken, api, readyItem, tokenFor, useFakeRunpod, uuid } from "./helpers.ts";
import { playableItem } from "./playback/support.ts";

const runpod = useFakeRunpod();

const get = async (path: string) => {
  const res = await SELF.fetch(`http://control.test${path}`);
  const body = res.headers.get("content-type")?.includes("json") ? await res.json<any>() : (await res.body?.cancel(), null);
  return { status: res.status, body };
};

describe("a viewer's path is never a 5xx", () => {
  it("names of Object's own members are just names: 404", async () => {
    const { item } = await playableItem(runpod);
    const token = await signPlaybackToken(env.PLAYBACK_SIGNING_SECRET!, { mediaId: item.id, expiresAt: Date.now() + 60_000, viewerId: null });
    for (const name of ["constructor", "valueOf", "__proto__", "toString", "hasOwnProperty"]) {
      const res = await get(`/play/${token}/${name}`);
      expect([name, res.status, res.body?.error?.code]).toEqual([name, 404, "NOT_FOUND"]);
    }
    const admin = await adminToken();
    const viaAdmin = await SELF.fetch(`http://control.test/api/admin/media/${item.id}/files/constructor`, { headers: { authorization: `Bearer ${admin}` } });
    expect(viaAdmin.status).toBe(404);
    await viaAdmin.body?.cancel();
  });

  it("a 3,000-character path is 400 INVALID_PATH, on /play and on the admin file route", async () => {
    const { item } = await playableItem(runpod);
    const token = await signPlaybackToken(env.PLAYBACK_SIGNING_SECRET!, { mediaId: item.id, expiresAt: Date.now() + 60_000, viewerId: null });
    const long = `360p/${"a".repeat(3000)}.m4s`;
    expect(await get(`/play/${token}/${long}`)).toMatchObject({ status: 400, body: { error: { code: "INVALID_PATH" } } });
    const admin = await adminToken();
    const res = await SELF.fetch(`http://control.test/api/admin/media/${item.id}/files/hls/${long}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(400);
    await res.body?.cancel();
  });
});

describe("JSON bodies are capped before they are parsed", () => {
  it("a 1 MiB registration is 413 PAYLOAD_TOO_LARGE in the error envelope, and nothing is registered", async () => {
    const creatorId = uuid();
    const token = await tokenFor(creatorId);
    const body = { mediaType: "video", filename: "big.mp4", size: 11, contentType: "video/mp4", padding: "x".repeat(1024 * 1024) };
    const res = await api("POST", "/api/media", { token, body });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", requestId: expect.any(String) });
    const list = await api("GET", "/api/media", { token });
    expect(list.body.items).toEqual([]);
  });

  it("the same limit on every JSON route: part URLs, playback tokens, redelivery", async () => {
    const { item } = await readyItem(runpod);
    const pad = { padding: "x".repeat(64 * 1024) };
    expect((await api("POST", `/api/media/${item.id}/upload/parts`, { token: item.token, body: { partNumbers: [1], ...pad } })).status).toBe(413);
    expect((await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token, body: { expiresInSeconds: 600, ...pad } })).status).toBe(413);
    const admin = await adminToken();
    expect((await api("POST", `/api/admin/media/${item.id}/webhooks/msg_${"0".repeat(32)}/redeliver`, { token: admin, body: pad })).status).toBe(413);
  });
});
