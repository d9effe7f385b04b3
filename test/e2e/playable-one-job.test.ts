import { describe, expect, it } from "vitest";
import { playlistSegments } from "../../src/contract/index.ts";
import { call, creator, env, finished, fixture, platformHooks, row, upload, waitFor } from "./support.ts";

/**
 * One job (the suite's stack has one worker, so nothing is split): the worker uploads segments as
 * FFmpeg closes them and publishes EVENT playlists of what is up; the item is playable, and
 * served as such through /play, before it is ready (README "Playable while it transcodes").
 */
describe("a one-job item is playable before it is ready", () => {
  it("playable while transcoding: EVENT playlists of what is up through /play, then VOD with ENDLIST at ready; media.playable before media.ready", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("wide-30s.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const playable = await waitFor(env.url, me.token, id, (s) => finished(s) || !!s.playableAt, { timeoutMs: 120_000, intervalMs: 200 });
    expect(playable.status).toBe("transcoding");
    expect(playable.playableSeconds).toBeGreaterThan(0);
    expect(playable.chunks).toBeNull();

    const { urls } = await call(env.url, "POST", `/api/media/${id}/playback-token`, me.token, {});
    const master = await fetch(`${env.url}${new URL(urls.hls, env.url).pathname}`);
    expect(master.status).toBe(200);
    const masterText = await master.text();
    expect(masterText).toContain("480p/index.m3u8");
    expect(masterText).toContain("360p/index.m3u8");
    const rungUrl = (rung: string) => `${env.url}${new URL(urls.hls, env.url).pathname.replace("master.m3u8", `${rung}/index.m3u8`)}`;
    const growing = await fetch(rungUrl("480p"));
    expect(growing.status).toBe(200);
    // Cached for less than a segment while it grows.
    expect(growing.headers.get("cache-control")).toBe("public, max-age=1");
    const event = await growing.text();
    expect(event).toContain("#EXT-X-PLAYLIST-TYPE:EVENT");
    expect(event).not.toContain("#EXT-X-ENDLIST");
    const early = playlistSegments(event);
    expect(early.length).toBeGreaterThan(0);
    // Every segment it names is there.
    for (const s of early) expect((await fetch(new URL(s.uri, growing.url)).then((r) => r.arrayBuffer())).byteLength).toBeGreaterThan(0);

    const ready = await waitFor(env.url, me.token, id, finished, { timeoutMs: 120_000 });
    expect(ready.status).toBe("ready");
    expect(Date.parse(ready.playableAt)).toBeLessThan(Date.parse(ready.finishedAt));
    expect(ready.playableSeconds).toBeCloseTo(30, 0);
    const vod = await (await fetch(rungUrl("480p"))).text();
    expect(vod).toContain("#EXT-X-PLAYLIST-TYPE:VOD");
    expect(vod).toContain("#EXT-X-ENDLIST");
    // What a viewer read while it grew is the start of what it became.
    expect(playlistSegments(vod).slice(0, early.length).map((s) => s.uri)).toEqual(early.map((s) => s.uri));

    const r = await row(id);
    expect(r!.playable_at).not.toBeNull();
    expect(new Date(r!.playable_at).getTime()).toBe(Date.parse(ready.playableAt));
    let types: (string | null)[] = [];
    for (let i = 0; i < 50 && !types.includes("media.ready"); i++) {
      types = (await platformHooks(id)).filter((h) => h.answered < 300 && h.verified).map((h) => h.type);
      if (!types.includes("media.ready")) await new Promise((r) => setTimeout(r, 200));
    }
    expect(types.filter((t) => t === "media.playable")).toHaveLength(1);
    expect(types.indexOf("media.playable")).toBeLessThan(types.indexOf("media.ready"));
  });
});
