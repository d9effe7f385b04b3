import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { AwsClient } from "aws4fetch";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAYER_SCRIPT } from "../../gpu-worker/test/players/player-page.ts";
import { call, creator, env, finished, fixture, platformHooks, upload, waitFor, launchChromium } from "./support.ts";

let browser: Browser;
let server: Server;
let page: string;

beforeAll(async () => {
  browser = await launchChromium();
  // A viewer's page on another origin: it has nothing but the playback URL.
  server = createServer((req, res) => {
    if (req.url === "/hls.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync("node_modules/hls.js/dist/hls.min.js"));
    if (req.url === "/shaka.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync("node_modules/shaka-player/dist/shaka-player.compiled.js"));
    res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/hls.js"></script><script src="/shaka.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  page = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

const listKeys = async (bucket: string, prefix: string) => {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const xml = await (await aws.fetch(`${env.s3Endpoint}/${bucket}/?list-type=2&prefix=${encodeURIComponent(prefix)}`)).text();
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
};

describe("the platform's view, on the local stack (wrangler dev, the real GPU worker)", () => {
  it("a many-part upload is transcoded, the platform is told each step, a viewer plays it with a token in hls.js and shaka-player, and a delete removes it all", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("small.mp4"), "video", { order: "shuffled", concurrency: 4 });
    expect((await call(env.url, "GET", `/api/media/${id}/upload`, me.token).catch((e: Error) => e.message))).toMatch(/409/);
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    expect(await waitFor(env.url, me.token, id, finished)).toMatchObject({ status: "ready" });

    // Webhooks: each state change, signed and verified by the receiver, in order.
    await expect.poll(async () => (await platformHooks(id)).map((h) => h.type).includes("media.ready"), { timeout: 20_000 }).toBe(true);
    const hooks = await platformHooks(id);
    expect(hooks.every((h) => h.verified && h.answered === 204)).toBe(true);
    const types = hooks.map((h) => h.type);
    expect(types[0]).toBe("media.uploaded");
    expect(types[1]).toBe("media.transcoding");
    expect(types.at(-1)).toBe("media.ready");
    expect(types.filter((t) => t === "media.progress").length).toBeGreaterThanOrEqual(1);

    // Playback for a viewer: a token, then the HLS tree through /play, in both players.
    const minted = await call(env.url, "POST", `/api/media/${id}/playback-token`, me.token, { expiresInSeconds: 600, viewerId: "e2e" });
    const tab = await browser.newPage();
    await tab.goto(page);
    await tab.addScriptTag({ content: PLAYER_SCRIPT });
    for (const player of ["hls.js", "shaka"]) {
      const result = await tab.evaluate(([url, which]) => (globalThis as any).playAll(url, which), [minted.urls.hls, player] as const);
      expect(result.errors, player).toEqual([]);
      expect(result.played, player).toBe(true);
      expect(result.variants.length, player).toBeGreaterThanOrEqual(1);
      expect(result.variants.every((v: { ok: boolean }) => v.ok), `${player} ${JSON.stringify(result.variants)}`).toBe(true);
    }
    await tab.close();

    // Delete: 204, then nothing of it anywhere; the token stops working; the platform is told.
    const del = await fetch(`${env.url}/api/media/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${me.token}` } });
    expect(del.status).toBe(204);
    expect((await fetch(minted.urls.hls)).status).toBe(404);
    await expect.poll(async () => (await Promise.all([`${me.id}/originals/${id}/`, `${me.id}/hls/${id}/`, `${me.id}/thumbnails/media/${id}/`].map((p) => listKeys("media", p)))).flat().length, { timeout: 20_000 }).toBe(0);
    await expect.poll(async () => (await listKeys("archive", `mezzanine/${me.id}/${id}/`)).length, { timeout: 20_000 }).toBe(0);
    await expect.poll(async () => (await platformHooks(id)).map((h) => h.type).includes("media.deleted"), { timeout: 20_000 }).toBe(true);
    const list = await call(env.url, "GET", "/api/media", me.token);
    expect(list.items.map((i: { id: string }) => i.id)).not.toContain(id);
  });
});
