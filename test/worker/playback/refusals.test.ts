import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signPlaybackToken } from "../../../src/http/playback-token.ts";
import { api, useFakeRunpod, tokenFor, transcodingItem, uuid } from "../helpers.ts";
import { playableItem } from "./support.ts";

const runpod = useFakeRunpod();

const status = async (path: string) => {
  const res = await SELF.fetch(`http://control.test${path}`);
  await res.body?.cancel();
  return res.status;
};

describe("playback refusals", () => {
  it("a wrong, expired, tampered or other-key token is 403", async () => {
    const { item } = await playableItem(runpod);
    const secret = env.PLAYBACK_SIGNING_SECRET!;
    const good = await signPlaybackToken(secret, { mediaId: item.id, expiresAt: Date.now() + 60_000, viewerId: null });
    expect(await status(`/play/${good}/master.m3u8`)).toBe(200);
    const expired = await signPlaybackToken(secret, { mediaId: item.id, expiresAt: Date.now() - 1000, viewerId: null });
    const otherKey = await signPlaybackToken("another-secret-0123456789abcdef", { mediaId: item.id, expiresAt: Date.now() + 60_000, viewerId: null });
    // The payload names another item; the signature is the first one's.
    const [h, p, s] = good.split(".");
    const claims = JSON.parse(atob(p!.replace(/-/g, "+").replace(/_/g, "/")));
    const otherItem = `${h}.${btoa(JSON.stringify({ ...claims, sub: uuid() })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.${s}`;
    const apiJwt = await tokenFor(item.creatorId);
    for (const bad of [expired, otherKey, otherItem, apiJwt, "garbage", good.slice(0, -2)]) expect(await status(`/play/${bad}/master.m3u8`)).toBe(403);
  });

  it("an item that is not ready is 404; a deleted one is 404 with the token it had", async () => {
    const { item } = await transcodingItem(runpod);
    const minted = await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token });
    expect(minted.status).toBe(201);
    expect(await status(`/play/${minted.body.token}/master.m3u8`)).toBe(404);

    const ready = await playableItem(runpod);
    const { token } = (await api("POST", `/api/media/${ready.item.id}/playback-token`, { token: ready.item.token })).body;
    expect(await status(`/play/${token}/master.m3u8`)).toBe(200);
    expect((await api("DELETE", `/api/media/${ready.item.id}`, { token: ready.item.token })).status).toBe(204);
    expect(await status(`/play/${token}/master.m3u8`)).toBe(404);
  });

  it("only the owner, an administrator or the service may mint one; bounds are checked", async () => {
    const { item } = await transcodingItem(runpod);
    expect((await api("POST", `/api/media/${item.id}/playback-token`, { token: await tokenFor(uuid()) })).status).toBe(404);
    expect((await api("POST", `/api/media/${item.id}/playback-token`, { token: await tokenFor(uuid(), "admin") })).status).toBe(201);
    const svc = await api("POST", `/api/media/${item.id}/playback-token`, { token: "test-service-token", body: { viewerId: "viewer-42", expiresInSeconds: 120 } });
    expect(svc.status).toBe(201);
    expect(Date.parse(svc.body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    const claims = JSON.parse(atob(svc.body.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ sub: item.id, aud: "playback", viewer: "viewer-42" });
    for (const body of [{ expiresInSeconds: 10 }, { expiresInSeconds: 8 * 86_400 }, { viewerId: "a b" }]) {
      expect((await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token, body })).status).toBe(400);
    }
    expect((await api("POST", `/api/media/${item.id}/playback-token`)).status).toBe(401);
  });
});
