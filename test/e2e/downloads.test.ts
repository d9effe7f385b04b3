import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { execFileSync } from "node:child_process";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, creator, env, finished, fixture, upload, useChromium, waitFor } from "./support.ts";

const browser = useChromium();
// A viewer's page on another origin: a plain <video src> (progressive download, no MSE, no player library).
let server: Server;
let page: string;
beforeAll(async () => {
  server = createServer((_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>download</title>"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  page = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => void server?.close());

const listKeys = async (prefix: string) => {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const xml = await (await aws.fetch(`${env.s3Endpoint}/media/?list-type=2&prefix=${encodeURIComponent(prefix)}`)).text();
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
};

describe("MP4 downloads through the stack", () => {
  it("asked for at registration: every rung's MP4 and the M4A, served as attachments with ranges, played by Chromium's <video> without MSE, gone with a delete", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("wide-30s.mp4"), "video", { register: { downloads: { mp4: "all", audio: true } } });
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const ready = await waitFor(env.url, me.token, id, finished, { timeoutMs: 180_000 });
    expect(ready).toMatchObject({ status: "ready", downloadsRequested: { mp4: "all", audio: true } });
    expect(ready.downloads.map((d: { name: string }) => d.name)).toEqual(["480p.mp4", "360p.mp4", "audio.m4a"]);
    expect(ready.downloads[0]).toMatchObject({ width: 854, height: 480 });

    const { token } = await call(env.url, "POST", `/api/media/${id}/playback-token`, me.token, {});
    const url = (name: string) => `${env.url}/play/${token}/download/${name}`;
    const head = await fetch(url("480p.mp4"), { headers: { range: "bytes=0-1023" } });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-disposition")).toBe(`attachment; filename="wide-30s-480p.mp4"; filename*=UTF-8''wide-30s-480p.mp4`);
    expect(head.headers.get("content-range")).toBe(`bytes 0-1023/${ready.downloads[0].bytes}`);
    // +faststart: the index is in the first kilobytes.
    expect(Buffer.from(await head.arrayBuffer()).toString("latin1")).toContain("moov");
    const probe = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", url("audio.m4a")], { encoding: "utf8" }));
    expect(probe.streams.map((s: { codec_type: string }) => s.codec_type)).toEqual(["audio"]);
    expect(Number(probe.format.duration)).toBeCloseTo(30, 0);

    const tab = await browser().newPage();
    try {
      await tab.goto(page);
      const played = (await tab.evaluate(async (src: string) => {
        const g = globalThis as any;
        const video = g.document.createElement("video");
        video.muted = true;
        video.src = src;
        g.document.body.appendChild(video);
        await new Promise((r, j) => ((video.onloadedmetadata = r), (video.onerror = () => j(new Error("video error " + video.error?.code)))));
        // Seek near the end (a range request), then play to the end.
        video.currentTime = 26;
        await video.play();
        const ended = await new Promise((r) => ((video.onended = () => r(true)), setTimeout(() => r(false), 30_000)));
        return { ended, duration: video.duration, width: video.videoWidth, height: video.videoHeight, time: video.currentTime };
      }, url("480p.mp4"))) as { ended: boolean; duration: number; width: number; height: number; time: number };
      expect(played).toMatchObject({ ended: true, width: 854, height: 480 });
      expect(played.duration).toBeCloseTo(30, 0);
    } finally {
      await tab.close();
    }

    expect(await listKeys(`${me.id}/downloads/${id}/`)).toHaveLength(3);
    await call(env.url, "DELETE", `/api/media/${id}`, me.token);
    await expect.poll(() => listKeys(`${me.id}/downloads/${id}/`), { timeout: 15_000 }).toEqual([]);
    expect((await fetch(url("480p.mp4"))).status).toBe(404);
  });
});
