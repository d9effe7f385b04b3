import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fanout, fixture, tempDir, transcode } from "../support.ts";
import { PLAYER_SCRIPT } from "./player-page.ts";

/** Every shape of the fixture set, as the pipeline makes it, in one folder a server serves. */
const SET = [
  ["small.mp4", "video"],
  ["portrait.mp4", "video"],
  ["rotated.mp4", "video"],
  ["portrait-1080.mp4", "video"],
  ["rotated-1080.mp4", "video"],
  ["rotated-180.mp4", "video"],
  ["hdr10-2160p60.mp4", "video"],
  ["hlg-2160p50.mov", "video"],
  ["screen-10fps-60s.mp4", "video"],
  ["anamorphic.mp4", "video"],
  ["interlaced-unflagged.mp4", "video"],
  ["late-audio.mp4", "video"],
  ["two-tracks.mkv", "video"],
  ["silent.mp4", "video"],
  ["vfr.mp4", "video"],
  ["hdr.mkv", "video"],
  ["subtitled.mkv", "video"],
  ["voice.m4a", "audio"],
] as const;

const TYPES: Record<string, string> = { ".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".vtt": "text/vtt", ".js": "text/javascript", ".html": "text/html" };
const VENDOR: Record<string, string> = {
  "/vendor/hls.js": "node_modules/hls.js/dist/hls.min.js",
  "/vendor/shaka.js": "node_modules/shaka-player/dist/shaka-player.compiled.js",
};

let browser: Browser;
let page: Page;
let server: Server;
let base: string;
const masters = new Map<string, string>();
/** Outputs stitched from one-segment chunks (fanout/), with the times of their joins. */
const STITCHED = ["small.mp4", "ntsc-2997.mp4"] as const;
const stitched = new Map<string, { master: string; joins: number[] }>();

beforeAll(async () => {
  const root = tempDir();
  for (const [name, mediaType] of SET) {
    const r = await transcode(fixture(name), { mediaType, archive: false, outDir: root });
    masters.set(name, r.output.hlsMasterKey);
  }
  for (const name of STITCHED) {
    const r = await fanout(fixture(name), { chunkSeconds: 6 }, { archive: false, outDir: root });
    stitched.set(name, { master: r.output.hlsMasterKey, joins: r.plan.chunks.chunks.slice(1).map((c) => c.startSeconds) });
  }
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/vendor/hls.js"></script><script src="/vendor/shaka.js"></script>');
      return;
    }
    const file = VENDOR[path] ? join(process.cwd(), VENDOR[path]!) : join(root, normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, ""));
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "access-control-allow-origin": "*" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Debian's Chromium, never a downloaded one.
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
  page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.addScriptTag({ content: PLAYER_SCRIPT });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe("every output of the fixture set plays in both players, every variant forced once", () => {
  for (const [name] of SET) {
    for (const player of ["hls.js", "shaka"] as const) {
      it(`${name} in ${player}`, async () => {
        const result = await page.evaluate(([url, which]) => (globalThis as any).playAll(url, which), [`${base}/${masters.get(name)}`, player] as const);
        expect(result.errors, JSON.stringify(result)).toEqual([]);
        expect(result.played).toBe(true);
        expect(result.variants.length).toBeGreaterThan(0);
        expect(result.variants.filter((v: { ok: boolean }) => !v.ok), JSON.stringify(result.variants)).toEqual([]);
        // Both tracks of the two-language release are offered by the player.
        if (name === "two-tracks.mkv") expect(result.audioTracks.length, JSON.stringify(result.audioTracks)).toBe(2);
        // Both subtitle renditions are offered; in hls.js the English cue shows at 1 s and the second at 3 s.
        if (name === "subtitled.mkv") {
          expect(result.textTracks.length, JSON.stringify(result.textTracks)).toBe(2);
          if (player === "hls.js") expect(result.cues).toEqual(["Hello there", "Second line"]);
        }
      }, 120_000);
    }
  }
});

describe("stitched outputs play across every join, every variant forced", () => {
  for (const name of STITCHED) {
    for (const player of ["hls.js", "shaka"] as const) {
      it(`${name} in ${player}`, async () => {
        const { master, joins } = stitched.get(name)!;
        expect(joins.length).toBeGreaterThanOrEqual(2);
        const result = await page.evaluate(([url, which, at]) => (globalThis as any).playAcross(url, which, at), [`${base}/${master}`, player, joins] as const);
        expect(result.errors, JSON.stringify(result)).toEqual([]);
        expect(result.crossings.length).toBeGreaterThanOrEqual(joins.length);
        expect(result.crossings.filter((c: { ok: boolean }) => !c.ok), JSON.stringify(result.crossings)).toEqual([]);
      }, 180_000);
    }
  }
});
