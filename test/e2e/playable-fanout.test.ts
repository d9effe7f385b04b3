import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, tokenFor, upload, waitFor } from "../../dev/client.ts";
import { startStack, type Stack } from "../../dev/stack.ts";
import { playlistSegments } from "../../src/contract/index.ts";
import { fixture } from "../../gpu-worker/test/support.ts";
import { PLAYER_SCRIPT } from "../../gpu-worker/test/players/player-page.ts";
import { launchChromium } from "./support.ts";

/**
 * A video split across two workers, watched while it is still encoding (README "Playable while
 * it transcodes"). Its own stack: two workers, a 10 s threshold, 12 s chunks, so the 30 s 480p
 * video is 3 chunks (12 + 12 + 6 s). The RunPod stand-in holds chunk 1 in its queue: chunk 0
 * and the sound make the item playable, the players start on 12 s, then chunk 1 is let go and
 * lands (published by the item's object) and chunk 2 with the stitch, while they play. Nothing
 * here may block this process's event loop (the stack lives in it).
 */
const exec = promisify(execFile);
let stack: Stack;
let dataDir: string;
let admin: string;
let browser: Browser;

beforeAll(async () => {
  fixture("wide-30s.mp4");
  dataDir = mkdtempSync(join(tmpdir(), "e2e-playable-"));
  // A stall window long enough that a held chunk is not tried again while the test holds it.
  stack = await startStack({ dataDir, workers: 2, fanout: { minSeconds: 10, chunkSeconds: 12 }, stuckJobFloorSeconds: 180, databaseUrl: process.env.TEST_DATABASE_URL, logLevel: "warn" });
  admin = await tokenFor(stack.secrets.JWT_SECRET!, randomUUID(), "admin");
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (process.env.E2E_LOG_DIR) await exec("cp", ["-r", join(dataDir, "logs"), join(process.env.E2E_LOG_DIR, "playable")]);
  rmSync(dataDir, { recursive: true, force: true });
});

const finished = (s: { status: string }) => s.status === "ready" || s.status === "failed";
const chunkOf = (index: number) => (input: unknown) => {
  const task = (input as { task?: { kind?: string; index?: number } }).task;
  return task?.kind === "chunk" && task.index === index;
};
async function playableItem() {
  const creatorId = randomUUID();
  const token = await tokenFor(stack.secrets.JWT_SECRET!, creatorId, "creator");
  const release = stack.runpod.hold(chunkOf(1));
  const id = await upload(stack.url, token, fixture("wide-30s.mp4"));
  await call(stack.url, "POST", `/api/media/${id}/transcode`, token);
  const playable = await waitFor(stack.url, token, id, (s) => finished(s) || !!s.playableAt, { timeoutMs: 180_000, intervalMs: 250 });
  const { urls } = await call(stack.url, "POST", `/api/media/${id}/playback-token`, token, {});
  return { id, token, release, playable, hls: `${stack.url}${new URL(urls.hls, stack.url).pathname}` };
}
async function playerPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent("<!doctype html><title>players</title>");
  await page.addScriptTag({ path: join(process.cwd(), "node_modules/hls.js/dist/hls.min.js") });
  await page.addScriptTag({ path: join(process.cwd(), "node_modules/shaka-player/dist/shaka-player.compiled.js") });
  await page.addScriptTag({ content: PLAYER_SCRIPT });
  return page;
}
/** The page is compiled without the DOM library: what runs there is reached through globalThis. */
type PageGlobals = { document: { querySelector(s: string): { currentTime: number } | null }; playGrowing: Function; playUntilGone: Function };
const playingIn = (page: Page) => page.evaluate(() => ((globalThis as unknown as PageGlobals).document.querySelector("video")?.currentTime ?? 0) > 0.5);
async function whenPlaying(pages: Page[], timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await Promise.all(pages.map(playingIn))).every(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

type Growing = { trace: string[]; stalls: string[]; waits: number; errors: string[]; variants: { height: number; ok: boolean }[]; playingAt: number | null; endedAt: number | null; lastTime: number; duration: number | null };

describe("a split video watched while it encodes", () => {
  it("is playable with its first chunk and the sound; hls.js and shaka-player start on it and play to the end across what lands after, every variant forced", async () => {
    const item = await playableItem();
    try {
      expect(item.playable.status).toBe("transcoding");
      expect(item.playable.playableSeconds).toBeGreaterThan(0);
      expect(item.playable.playableSeconds).toBeLessThanOrEqual(12);
      expect(item.playable.chunks).toMatchObject({ count: 3, stitching: false });
      // The object published chunk 0 only: chunk 1 is held, and nothing past a gap is listed.
      const rung = await fetch(item.hls.replace("master.m3u8", "480p/index.m3u8"));
      const event = await rung.text();
      expect(event).toContain("#EXT-X-PLAYLIST-TYPE:EVENT");
      expect(event).not.toContain("#EXT-X-ENDLIST");
      expect(playlistSegments(event).map((s) => s.uri.split("/").pop())).toEqual(["seg_00000.ts", "seg_00001.ts"]);
      expect(rung.headers.get("cache-control")).toBe("public, max-age=1");

      const pages = [await playerPage(), await playerPage()];
      const opts = { stretchSeconds: 2, timeoutMs: 120_000, endSeconds: 30 };
      const runs = [
        pages[0]!.evaluate(([url, o]) => (globalThis as unknown as PageGlobals).playGrowing(url, "hls.js", o), [item.hls, opts] as const) as Promise<Growing>,
        pages[1]!.evaluate(([url, o]) => (globalThis as unknown as PageGlobals).playGrowing(url, "shaka", o), [item.hls, opts] as const) as Promise<Growing>,
      ];
      expect(await whenPlaying(pages)).toBe(true);
      // Both play; only now does chunk 1 go to a worker.
      const releasedAt = Date.now();
      item.release();
      const [hlsjs, shaka] = await Promise.all(runs);
      const ready = await waitFor(stack.url, item.token, item.id, finished, { timeoutMs: 60_000 });
      expect(ready.status).toBe("ready");
      for (const { name, r } of [{ name: "hls.js", r: hlsjs! }, { name: "shaka", r: shaka! }]) {
        // Waiting for a chunk still encoding is allowed (stalls, "waiting" events); an error is not.
        console.log(`${name}: ${r.waits} waits, stalls ${JSON.stringify(r.stalls)}, at ${r.lastTime} of ${r.duration}, ${JSON.stringify((r as never as { state: unknown }).state)}`);
        // What shaka re-read and when: how it followed the growing item (it ends one early when every playlist it reads has EXT-X-ENDLIST).
        if (name === "shaka" && r.lastTime < 29.7) console.log(`shaka trace:\n${r.trace.join("\n")}`);
        expect(r.errors, name).toEqual([]);
        expect(r.variants.map((v) => v.height).sort(), name).toEqual([360, 480]);
        expect(r.variants.every((v) => v.ok), `${name} ${JSON.stringify(r.variants)}`).toBe(true);
        // Started before anything but chunk 0 was there, ended after the item was ready: it played what landed later.
        expect(r.playingAt, name).not.toBeNull();
        expect(r.playingAt!, name).toBeLessThan(releasedAt);
        expect(r.lastTime, name).toBeGreaterThan(29.7);
        expect(r.endedAt, name).not.toBeNull();
        expect(r.endedAt!, name).toBeGreaterThan(Date.parse(ready.finishedAt));
      }
      await Promise.all(pages.map((p) => p.close()));
    } finally {
      item.release();
    }
  });

  it("the dashboard's player starts at playable and plays on through ready, the same element", async () => {
    const item = await playableItem();
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      expect(item.playable.status).toBe("transcoding");
      await page.goto(`${stack.url}/admin/#token=${admin}`);
      await page.goto(`${stack.url}/admin/#/media/${item.id}`);
      // Elements are typed loosely here: this file compiles without the DOM library.
      const video = page.locator("video#player");
      await video.waitFor();
      await expect.poll(() => page.locator("dd.playable").count(), { timeout: 30_000 }).toBe(1);
      // The dashboard attaches hls.js once its playback token is back.
      await expect.poll(() => video.evaluate((v: any) => v.readyState as number), { timeout: 30_000 }).toBeGreaterThan(0);
      await video.evaluate((v: any) => ((v.dataset.mark = "started-at-playable"), v.play()));
      await expect.poll(() => video.evaluate((v: any) => v.currentTime as number), { timeout: 30_000 }).toBeGreaterThan(1);
      expect((await call(stack.url, "GET", `/api/media/${item.id}/transcoding-status`, item.token)).status).toBe("transcoding");
      item.release();
      await waitFor(stack.url, item.token, item.id, finished, { timeoutMs: 120_000 });
      await expect.poll(() => page.locator("h1 .pill").textContent(), { timeout: 10_000 }).toContain("ready");
      // The element that started at playable is the one playing now, past the chunk that was held.
      await expect.poll(() => video.evaluate((v: any) => v.dataset.mark as string)).toBe("started-at-playable");
      await expect.poll(() => video.evaluate((v: any) => v.currentTime as number), { timeout: 60_000 }).toBeGreaterThan(13);
      expect(errors).toEqual([]);
    } finally {
      item.release();
      await page.screenshot({ path: join(process.cwd(), "artifacts", "dashboard-playable.png") }).catch(() => {});
      await page.close();
    }
  });

  it("a failure after playable: the item fails, /play stops serving it, and both players stop with the stream's error", async () => {
    const item = await playableItem();
    try {
      expect(item.playable.status).toBe("transcoding");
      const pages = [await playerPage(), await playerPage()];
      const runs = (["hls.js", "shaka"] as const).map(
        (which, i) => pages[i]!.evaluate(([url, w]) => (globalThis as unknown as PageGlobals).playUntilGone(url, w, 60_000), [item.hls, which] as const) as Promise<{ playing: boolean; gone: string | null; lastTime: number; stopped: boolean; trace: string[] }>,
      );
      expect(await whenPlaying(pages)).toBe(true);
      const cancelledAt = new Date().toISOString();
      const cancelled = await call(stack.url, "POST", `/api/media/${item.id}/cancel-transcoding`, admin);
      expect(cancelled.status).toBe("failed");
      const refused = await fetch(item.hls);
      expect(refused.status).toBe(404);
      // Readable across origins, so a player can tell "gone" from a network fault.
      expect(refused.headers.get("access-control-allow-origin")).toBe("*");
      const status = await call(stack.url, "GET", `/api/media/${item.id}/transcoding-status`, item.token);
      expect(status).toMatchObject({ status: "failed", playableAt: null });
      for (const [i, r] of (await Promise.all(runs)).entries()) {
        const name = i === 0 ? "hls.js" : "shaka";
        if (name === "shaka" && !r.gone) console.log(`shaka trace (cancelled at ${cancelledAt}):\n${r.trace.join("\n")}`);
        expect(r.playing, name).toBe(true);
        expect(r.gone, name).not.toBeNull();
        // hls.js: the playlist it re-reads is gone (404), after its retries; shaka: BAD_HTTP_STATUS (1001) with the 404.
        expect(r.gone!, name).toMatch(i === 0 ? /(level|audioTrack)LoadError 404/ : /^shaka 1001 404/);
        expect(r.stopped, name).toBe(true);
        // Never past what was published.
        expect(r.lastTime, name).toBeLessThanOrEqual(12.5);
      }
      await Promise.all(pages.map((p) => p.close()));
    } finally {
      item.release();
    }
  });
});
