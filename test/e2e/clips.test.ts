import { execFileSync, spawnSync } from "node:child_process";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { adminToken, call, creator, env, finished, fixture, openDashboard, platformHooks, row, upload, useChromium, waitFor } from "./support.ts";

const browser = useChromium();

const listKeys = async (prefix: string) => {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const xml = await (await aws.fetch(`${env.s3Endpoint}/media/?list-type=2&prefix=${encodeURIComponent(prefix)}`)).text();
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
};

/** PSNR (dB) of an item's first 480p frame, read through the Worker, against the fixture's frame number `n`. */
function firstFrameAgainst(mediaId: string, admin: string, source: string, n: number): number {
  const url = `${env.url}/api/admin/media/${mediaId}/files/hls/480p/index.m3u8`;
  const run = spawnSync("ffmpeg", [
    "-hide_banner", "-headers", `Authorization: Bearer ${admin}\r\n`, "-i", url, "-i", source,
    "-lavfi", `[0:v]trim=end_frame=1,setpts=PTS-STARTPTS,format=yuv420p[x];[1:v]select=eq(n\\,${n}),setpts=PTS-STARTPTS,format=yuv420p[y];[x][y]psnr`, "-frames:v", "1", "-f", "null", "-",
  ], { encoding: "utf8" });
  const m = /average:([\d.]+|inf)/.exec(run.stderr);
  if (!m) throw new Error(run.stderr.slice(-800));
  return m[1] === "inf" ? Infinity : Number(m[1]);
}

describe("a clip through the stack", () => {
  it("of a ready item: its own item, transcoded from the frame-accurate cut, as long as asked, told to the platform; its original is its own file", async () => {
    const me = await creator();
    const admin = await adminToken();
    const source = await upload(env.url, me.token, fixture("wide-30s.mp4"));
    await call(env.url, "POST", `/api/media/${source}/transcode`, me.token);
    expect(await waitFor(env.url, me.token, source, finished)).toMatchObject({ status: "ready" });

    // 4.1 s: frame 123 of the 30 fps source, between its keyframes (every 2 s).
    const made = await call(env.url, "POST", `/api/media/${source}/clips`, me.token, { startSeconds: 4.1, endSeconds: 14.1 });
    expect(made).toMatchObject({ status: "transcoding", clip: { sourceMediaId: source, startSeconds: 4.1, endSeconds: 14.1 } });
    const clip = made.mediaId as string;
    const ready = await waitFor(env.url, me.token, clip, finished);
    expect(ready).toMatchObject({ status: "ready", readyVariants: ["480p", "360p"] });
    expect(ready.output.durationSeconds).toBeCloseTo(10, 1);
    const probe = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-headers", `Authorization: Bearer ${admin}\r\n`, "-show_entries", "format=duration", "-of", "json", `${env.url}/api/admin/media/${clip}/files/hls/master.m3u8`], { encoding: "utf8" }));
    expect(Number(probe.format.duration)).toBeCloseTo(10, 0);
    // Its first frame is the source's at 4.1 s, not the keyframe before it or a neighbour.
    const there = firstFrameAgainst(clip, admin, fixture("wide-30s.mp4"), 123);
    expect(there).toBeGreaterThan(firstFrameAgainst(clip, admin, fixture("wide-30s.mp4"), 122) + 5);
    expect(there).toBeGreaterThan(firstFrameAgainst(clip, admin, fixture("wide-30s.mp4"), 124) + 5);
    expect(there).toBeGreaterThan(firstFrameAgainst(clip, admin, fixture("wide-30s.mp4"), 120) + 5);

    expect(await listKeys(`${me.id}/originals/${clip}/`)).toEqual([`${me.id}/originals/${clip}/clip.mkv`]);
    expect(await row(clip)).toMatchObject({ creator_id: me.id, clip_source_media_id: source, status: "ready" });
    await expect.poll(async () => (await platformHooks(clip)).map((h) => h.type).includes("media.ready"), { timeout: 20_000 }).toBe(true);
    // The creator's list has both.
    const list = await call(env.url, "GET", "/api/media", me.token);
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual([source, clip].sort());
  });

  it("made on the dashboard: the item page of a ready item cuts one, and the clip's page names its source", async () => {
    const me = await creator();
    const admin = await adminToken();
    const source = await upload(env.url, me.token, fixture("small.mp4"));
    await call(env.url, "POST", `/api/media/${source}/transcode`, me.token);
    expect(await waitFor(env.url, me.token, source, finished)).toMatchObject({ status: "ready" });
    const { page, errors } = await openDashboard(browser(), admin);
    try {
      await page.goto(`${env.url}/admin/#/media/${source}`);
      await page.locator("#clip-start").fill("3");
      await page.locator("#clip-end").fill("8");
      await page.locator('button[data-act="clip"]').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).location.hash as string), { timeout: 10_000 }).not.toContain(source);
      const clip = /#\/media\/([0-9a-f-]{36})/.exec(await page.evaluate(() => (globalThis as any).location.hash as string))![1]!;
      await expect.poll(() => page.locator("dd.clip-of").textContent(), { timeout: 10_000 }).toContain(source.slice(0, 8));
      const ready = await waitFor(env.url, me.token, clip, finished);
      expect(ready).toMatchObject({ status: "ready", clip: { sourceMediaId: source, startSeconds: 3, endSeconds: 8 } });
      expect(ready.output.durationSeconds).toBeCloseTo(5, 1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
