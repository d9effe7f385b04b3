import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signPlaybackToken } from "../../src/http/playback-token.ts";
import { adminToken, tokenFor, useFakeRunpod, uuid } from "./helpers.ts";
import { playableItem } from "./playback/support.ts";

const runpod = useFakeRunpod();

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/**
 * Every status the app answers must be one the document lists for that route. A battery of
 * requests provokes each kind of answer a route can give (bad ids, no or wrong tokens, other
 * creators, wrong states, bodies too large, ranges past the end); whatever comes back is checked.
 */
describe("the OpenAPI document lists every status the API answers", () => {
  it("for a battery of good and bad requests on every route", async () => {
    const doc = (await (await SELF.fetch("http://control.test/api/openapi.json")).json()) as Doc;
    const seen: { route: string; status: number }[] = [];
    const call = async (method: string, route: string, path: string, init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const res = await SELF.fetch(`http://control.test${path}`, { method, headers, body });
      await res.body?.cancel();
      seen.push({ route: `${method.toLowerCase()} ${route}`, status: res.status });
      return res.status;
    };

    const { item } = await playableItem(runpod);
    const other = await tokenFor(uuid());
    const admin = await adminToken();
    const service = env.SERVICE_TOKEN!;
    const big = { padding: "x".repeat(32 * 1024) };
    const playToken = await signPlaybackToken(env.PLAYBACK_SIGNING_SECRET!, { mediaId: item.id, expiresAt: Date.now() + 60_000, viewerId: null });
    const id = "/api/media/{id}";
    // No token, a stranger, the owner, an administrator, the service.
    for (const token of [undefined, other, item.token, admin, service]) {
      await call("post", "/api/media", "/api/media", { token, body: { mediaType: "video", filename: "a.mp4", size: 11, contentType: "audio/mp4" } });
      await call("post", "/api/media", "/api/media", { token, body: big });
      await call("get", "/api/media", "/api/media?limit=1000", { token });
      await call("delete", id, `/api/media/${uuid()}`, { token });
      await call("delete", id, "/api/media/not-a-uuid", { token });
      for (const [m, suffix] of [["post", "/upload"], ["get", "/upload"], ["post", "/upload-complete"], ["post", "/transcode"], ["post", "/retry-transcoding"], ["post", "/cancel-transcoding"], ["get", "/transcoding-status"]] as const) {
        await call(m, `${id}${suffix}`, `/api/media/${item.id}${suffix}`, { token });
        await call(m, `${id}${suffix}`, `/api/media/not-a-uuid${suffix}`, { token });
      }
      await call("post", `${id}/upload/parts`, `/api/media/${item.id}/upload/parts`, { token, body: { partNumbers: [1] } });
      await call("post", `${id}/upload/parts`, `/api/media/${item.id}/upload/parts`, { token, body: big });
      await call("post", `${id}/playback-token`, `/api/media/${item.id}/playback-token`, { token, body: { expiresInSeconds: 1 } });
      await call("post", `${id}/playback-token`, `/api/media/${item.id}/playback-token`, { token, body: big });
      await call("get", "/api/admin/overview", "/api/admin/overview", { token });
      await call("get", "/api/admin/media/{id}", `/api/admin/media/${item.id}`, { token });
      await call("get", "/api/admin/media/{id}/webhooks", `/api/admin/media/${item.id}/webhooks`, { token });
      await call("post", "/api/admin/media/{id}/webhooks/{messageId}/redeliver", `/api/admin/media/${item.id}/webhooks/msg_${"0".repeat(32)}/redeliver`, { token, body: big });
      await call("get", "/api/admin/media/{id}/files/{path}", `/api/admin/media/${item.id}/files/thumbnail`, { token, headers: { range: "bytes=999999-" } });
      await call("get", "/api/admin/media/{id}/files/{path}", `/api/admin/media/${item.id}/files/hls/..%2Fx`, { token });
    }
    for (const path of ["master.m3u8", "thumbnail.jpg", "nope.m4s", "..%2F..%2Fx"]) await call("get", "/play/{token}/{path}", `/play/${playToken}/${path}`);
    await call("get", "/play/{token}/{path}", `/play/${playToken}/thumbnail.jpg`, { headers: { range: "bytes=999999-" } });
    await call("get", "/play/{token}/{path}", `/play/garbage/master.m3u8`);
    await call("post", "/api/transcoding/webhook", "/api/transcoding/webhook", { raw: "{}" });
    await call("post", "/api/transcoding/webhook", "/api/transcoding/webhook", { raw: "x".repeat(1024 * 1024 + 1) });
    // The item deleted last: DELETE's own answers (a service token may not).
    await call("delete", id, `/api/media/${item.id}`, { token: service });
    await call("delete", id, `/api/media/${item.id}`, { token: item.token });

    const missing = seen.filter(({ route, status }) => {
      const [method, path] = route.split(" ") as [string, string];
      return !doc.paths[path]?.[method]?.responses[String(status)];
    });
    expect([...new Set(missing.map((m) => `${m.route} → ${m.status}`))]).toEqual([]);
    expect(seen.some((s) => s.status === 416)).toBe(true);
    expect(seen.some((s) => s.status === 413)).toBe(true);
  });

  it("says the rules a registration is held to: the content type follows the media type, a filename has no control characters", async () => {
    const text = await (await SELF.fetch("http://control.test/api/openapi.json")).text();
    expect(text).toContain("no control characters");
    expect(text).toContain("for mediaType video");
  });
});
