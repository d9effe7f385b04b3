import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, useFakeRunpod } from "../helpers.ts";
import { playableItem } from "./support.ts";

const runpod = useFakeRunpod();

const get = (path: string, headers: Record<string, string> = {}) => SELF.fetch(`http://control.test${path}`, { headers });

describe("GET /play/:token/…", () => {
  it("serves the HLS tree with every child URI carrying the token, segments with ranges, and cache rules for an edge", async () => {
    const { item } = await playableItem(runpod);
    const minted = await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token, body: { expiresInSeconds: 600 } });
    expect(minted.status).toBe(201);
    const { token, urls } = minted.body;
    expect(urls.hls).toBe(`http://control.test/play/${token}/master.m3u8`);

    const master = await get(`/play/${token}/master.m3u8`);
    expect(master.status).toBe(200);
    expect(master.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(master.headers.get("cache-control")).toBe("public, max-age=10");
    const text = await master.text();
    expect(text).toContain(`URI="/play/${token}/audio_0/index.m3u8"`);
    expect(text).toContain(`\n/play/${token}/360p/index.m3u8`);
    // A URI to another host is dropped with the tag that described it.
    expect(text).not.toContain("elsewhere");
    expect(text.match(/EXT-X-STREAM-INF/g)).toHaveLength(1);

    const rung = await (await get(`/play/${token}/360p/index.m3u8`)).text();
    expect(rung).toContain(`#EXT-X-MAP:URI="/play/${token}/360p/init.mp4"`);
    expect(rung).toContain(`/play/${token}/360p/seg_000.m4s`);
    expect(rung).not.toContain("other/seg");

    const seg = await get(`/play/${token}/360p/seg_000.m4s`, { range: "bytes=4-7" });
    expect(seg.status).toBe(206);
    expect(await seg.text()).toBe("4567");
    expect(seg.headers.get("content-range")).toBe("bytes 4-7/16");
    expect(seg.headers.get("content-type")).toBe("video/iso.segment");
    expect(seg.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const whole = await get(`/play/${token}/360p/seg_000.m4s`);
    expect([whole.status, whole.headers.get("accept-ranges")]).toEqual([200, "bytes"]);
    await whole.body?.cancel();

    const thumb = await get(`/play/${token}/thumbnail.jpg`);
    expect([thumb.status, thumb.headers.get("content-type"), await thumb.text()]).toEqual([200, "image/jpeg", "jpeg-bytes"]);
    // `%2e%2e` is resolved by the URL parser before routing (to /play/<token>/x): it cannot climb either.
    for (const [path, code] of [["360p/missing.m4s", 404], ["waveform.json", 404], ["..%2Fsecret", 400], ["360p/%2e%2e/x", 404], ["360p//seg_000.m4s", 400]] as const) {
      const res = await get(`/play/${token}/${path}`);
      expect([path, res.status]).toEqual([path, code]);
      await res.body?.cancel();
    }
  });

  it("a playlist is never cached past the token's life", async () => {
    const { item } = await playableItem(runpod);
    const { token } = (await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token, body: { expiresInSeconds: 60 } })).body;
    const res = await get(`/play/${token}/master.m3u8`);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control")!)![1]);
    expect(maxAge).toBeLessThanOrEqual(10);
    await res.body?.cancel();
  });
});
