import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signPlaybackToken } from "../../src/http/playback-token.ts";
import { adminToken, api, rowWhen, softDelete, useFakeRunpod } from "./helpers.ts";
import { playableItem } from "./playback/support.ts";

const runpod = useFakeRunpod();

const status = async (path: string, token?: string) => {
  const res = await SELF.fetch(`http://control.test${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await res.body?.cancel();
  return res.status;
};

describe("a soft-deleted ready item", () => {
  it("stops playing: a viewer's token that opened it is 404 for the master and the segments (DELETION_CHECK_SECONDS bounds when; 0 here)", async () => {
    const { item } = await playableItem(runpod);
    await rowWhen(item.id, (r) => r.status === "ready");
    const token = await signPlaybackToken(env.PLAYBACK_SIGNING_SECRET!, { mediaId: item.id, expiresAt: Date.now() + 3_600_000, viewerId: null });
    expect(await status(`/play/${token}/master.m3u8`)).toBe(200);
    expect(await status(`/play/${token}/360p/seg_000.m4s`)).toBe(200);
    await softDelete(item.id);
    expect(await status(`/play/${token}/master.m3u8`)).toBe(404);
    expect(await status(`/play/${token}/360p/seg_000.m4s`)).toBe(404);
    expect(await status(`/play/${token}/thumbnail.jpg`)).toBe(404);
  });

  it("is gone for admins too: item, files and webhook log are 404, so no admin view shows `ready` beside deletedAt", async () => {
    const { item } = await playableItem(runpod);
    await rowWhen(item.id, (r) => r.status === "ready");
    const admin = await adminToken();
    expect(await status(`/api/admin/media/${item.id}`, admin)).toBe(200);
    expect(await status(`/api/admin/media/${item.id}/files/thumbnail`, admin)).toBe(200);
    await softDelete(item.id);
    expect(await status(`/api/admin/media/${item.id}`, admin)).toBe(404);
    expect(await status(`/api/admin/media/${item.id}/files/thumbnail`, admin)).toBe(404);
    expect(await status(`/api/admin/media/${item.id}/files/hls/360p/seg_000.m4s`, admin)).toBe(404);
    expect(await status(`/api/admin/media/${item.id}/webhooks`, admin)).toBe(404);
    expect((await api("GET", `/api/admin/overview`, { token: admin })).body.recent.some((r: any) => r.id === item.id)).toBe(false);
  });
});
