import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminToken, call, creator, env, finished, fixture, openDashboard, platformHooks, tempDir, upload, useChromium, waitFor } from "./support.ts";

const browser = useChromium();

/** PSNR (dB) of a still against the fixture's frame number `n`, scaled to the still's size. */
function psnrOf(still: string, source: string, n: number): number {
  const [w, h] = execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", still], { encoding: "utf8" }).trim().split(",");
  const run = spawnSync("ffmpeg", ["-hide_banner", "-i", still, "-i", source, "-lavfi", `[1:v]select=eq(n\\,${n}),setpts=PTS-STARTPTS,scale=${w}:${h},format=yuvj420p[y];[0:v]setpts=PTS-STARTPTS,format=yuvj420p[x];[x][y]psnr`, "-frames:v", "1", "-f", "null", "-"], { encoding: "utf8" });
  const m = /average:([\d.]+|inf)/.exec(run.stderr);
  if (!m) throw new Error(run.stderr.slice(-600));
  return m[1] === "inf" ? Infinity : Number(m[1]);
}
const touchUpDone = (s: any) => s.touchUp === null || s.touchUp?.status === "failed";

describe("touch-ups of a ready item through the stack", () => {
  it("a new poster frame and downloads asked for after ready: each made by a small job, the item ready throughout, the platform told media.updated", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("wide-30s.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const ready = await waitFor(env.url, me.token, id, finished);
    expect(ready).toMatchObject({ status: "ready", downloads: [] });

    // 20.1 s: frame 603 of the 30 fps source.
    const asked = await call(env.url, "POST", `/api/media/${id}/thumbnail`, me.token, { seconds: 20.1 });
    expect(asked).toMatchObject({ status: "ready", touchUp: { status: "running" } });
    const posed = await waitFor(env.url, me.token, id, touchUpDone, { timeoutMs: 60_000, intervalMs: 250 });
    expect(posed.touchUp).toBeNull();
    expect(posed.status).toBe("ready");
    expect(posed.output.thumbnailKey).not.toBe(ready.output.thumbnailKey);
    expect(posed.output.thumbnailSeconds).toBeCloseTo(20.1, 1);
    // The viewer's thumbnail URL serves the new one: the source's frame at 20.1 s.
    const { urls } = await call(env.url, "POST", `/api/media/${id}/playback-token`, me.token, {});
    const still = join(tempDir(), "poster.jpg");
    writeFileSync(still, Buffer.from(await (await fetch(urls.thumbnail)).arrayBuffer()));
    const there = psnrOf(still, fixture("wide-30s.mp4"), 603);
    expect(there).toBeGreaterThan(psnrOf(still, fixture("wide-30s.mp4"), 300) + 5);

    await call(env.url, "POST", `/api/media/${id}/downloads`, me.token, { mp4: "highest", audio: true });
    const withDownloads = await waitFor(env.url, me.token, id, touchUpDone, { timeoutMs: 60_000, intervalMs: 250 });
    expect(withDownloads).toMatchObject({ status: "ready", touchUp: null, downloadsRequested: { mp4: "highest", audio: true } });
    expect(withDownloads.downloads).toEqual([
      { name: "480p.mp4", bytes: expect.any(Number), width: 854, height: 480 },
      { name: "audio.m4a", bytes: expect.any(Number), width: null, height: null },
    ]);
    const grant = await call(env.url, "POST", `/api/media/${id}/playback-token`, me.token, {});
    const mp4 = grant.urls.downloads["480p.mp4"];
    const probe = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", mp4], { encoding: "utf8" }));
    expect(Number(probe.format.duration)).toBeCloseTo(30, 0);
    expect(probe.streams.map((s: { codec_type: string }) => s.codec_type).sort()).toEqual(["audio", "video"]);

    await expect.poll(async () => (await platformHooks(id)).filter((h) => h.type === "media.updated").length, { timeout: 20_000 }).toBe(2);
  });

  it("on the dashboard: a ready item's page sets a new poster frame and makes downloads, showing the touch-up until it is done", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("small.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const ready = await waitFor(env.url, me.token, id, finished);
    const { page, errors } = await openDashboard(browser(), await adminToken());
    try {
      await page.goto(`${env.url}/admin/#/media/${id}`);
      await page.locator("#poster-at").fill("9");
      await page.locator('button[data-act="poster"]').click();
      await expect.poll(() => page.locator("dd.thumbnail-at").textContent(), { timeout: 30_000 }).toContain("asked for 9.0 s");
      const posed = await waitFor(env.url, me.token, id, touchUpDone, { timeoutMs: 30_000 });
      expect(posed.output.thumbnailKey).not.toBe(ready.output.thumbnailKey);
      await page.locator("#touch-mp4").selectOption("highest");
      await page.locator('button[data-act="downloads"]').click();
      await expect.poll(() => page.locator('a[data-download="360p.mp4"]').getAttribute("href"), { timeout: 30_000 }).toMatch(/\/download\/360p\.mp4$/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
