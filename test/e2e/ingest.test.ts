import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, creator, env, finished, fixture, openDashboard, platformHooks, row, useChromium, waitFor } from "./support.ts";

const browser = useChromium();

// Files served on 127.0.0.1, which the stack allows by name (INGEST_ALLOW_HOSTS); a redirect to
// 127.0.0.2, which it does not, shows the worker's own check holding.
let server: Server;
let base: string;
let port: number;
beforeAll(async () => {
  const video = readFileSync(fixture("wide-30s.mp4"));
  server = createServer((req, res) => {
    if (req.url === "/films/wide.mp4") return void res.writeHead(200, { "content-type": "video/mp4", "content-length": video.length }).end(video);
    if (req.url === "/to-other-loopback") return void res.writeHead(302, { location: `http://127.0.0.2:${port}/films/wide.mp4` }).end();
    if (req.url === "/playlist.mp4") return void res.writeHead(200).end("#EXTM3U\n#EXTINF:6,\nhttp://elsewhere.example/seg.ts\n");
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

const copyOver = (s: any) => s.status !== "uploading" || s.ingest?.status !== "running";

describe("ingest from a URL through the stack", () => {
  it("copies the original into the item's key, then transcodes it: ready, and the platform told as for an upload", async () => {
    const me = await creator();
    const made = await call(env.url, "POST", "/api/media", me.token, { mediaType: "video", url: `${base}/films/wide.mp4`, transcode: true, maxBytes: 50_000_000 });
    expect(made).toMatchObject({ status: "uploading", ingest: { status: "running", origin: base } });
    const ready = await waitFor(env.url, me.token, made.id, finished, { timeoutMs: 120_000 });
    expect(ready).toMatchObject({ status: "ready", ingest: { status: "done", error: null }, readyVariants: ["480p", "360p"] });
    expect(ready.output.durationSeconds).toBeCloseTo(30, 0);
    expect(await row(made.id)).toMatchObject({ original_filename: "wide.mp4", status: "ready" });
    const types = (await platformHooks(made.id)).map((h) => h.type);
    expect(types).toEqual(expect.arrayContaining(["media.uploaded", "media.transcoding", "media.ready"]));
    expect(statSync(fixture("wide-30s.mp4")).size).toBeGreaterThan(0);
  });

  it.each([
    ["/missing.mp4", "URL_NOT_FOUND", 50_000_000],
    ["/films/wide.mp4", "INPUT_TOO_LARGE", 100_000],
    ["/to-other-loopback", "URL_REFUSED", 50_000_000],
    ["/playlist.mp4", "INPUT_UNREADABLE", 50_000_000],
  ] as const)("%s: the copy fails %s, the item waits for another original", async (path, code, maxBytes) => {
    const me = await creator();
    const made = await call(env.url, "POST", "/api/media", me.token, { mediaType: "video", url: `${base}${path}`, transcode: true, maxBytes });
    const over = await waitFor(env.url, me.token, made.id, copyOver, { timeoutMs: 60_000, intervalMs: 200 });
    expect(over).toMatchObject({ status: "uploading", ingest: { status: "failed", error: { code } } });
  });

  it("a URL the rules refuse is 400 before anything is registered", async () => {
    const me = await creator();
    await expect(call(env.url, "POST", "/api/media", me.token, { mediaType: "video", url: `http://127.0.0.2:${port}/films/wide.mp4` })).rejects.toThrow(/400.*URL_REFUSED/s);
    expect((await call(env.url, "GET", "/api/media", me.token)).items).toEqual([]);
  });

  it("from the dashboard: a URL typed in the uploader is copied and transcoded, its page shows the copy", async () => {
    const { page, errors } = await openDashboard(browser(), await adminToken());
    try {
      await page.locator("#ingest-url").waitFor();
      await page.locator("#ingest-url").fill(`${base}/films/wide.mp4`);
      await page.locator('#ingest-form button[type="submit"]').click();
      await expect.poll(() => page.evaluate(() => (globalThis as any).location.hash as string), { timeout: 10_000 }).toMatch(/^#\/media\//);
      await expect.poll(() => page.locator("dd.ingest").getAttribute("data-status"), { timeout: 60_000 }).toBe("done");
      await expect.poll(() => page.locator("h1 .pill").textContent(), { timeout: 120_000 }).toContain("ready");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
