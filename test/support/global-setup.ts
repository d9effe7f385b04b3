import http from "node:http";
import type { AddressInfo } from "node:net";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { applyMigrations, useLocalProxy } from "../../dev/db.ts";
import { startPostgres } from "../../dev/postgres.ts";
import { startS3 } from "../../dev/s3.ts";
import { startWsProxy, targetOf } from "../../dev/ws-proxy.ts";
import { startWebhookReceiver, type ReceiverMode } from "../../dev/webhook-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    dbWsProxy: string;
    s3Endpoint: string;
    controlUrl: string;
    platformWebhookUrls: string;
  }
}

/**
 * Real parts for the Workers tests: Postgres (embedded PGlite, or TEST_DATABASE_URL), the
 * WebSocket proxy the Neon driver needs, and s3rver. A control port lets a test take the
 * database down and bring it back.
 */
export default async function setup(project: TestProject) {
  const pg = await startPostgres({ databaseUrl: process.env.TEST_DATABASE_URL });
  const proxy = await startWsProxy({ target: targetOf(pg.url) });
  useLocalProxy(proxy.address);
  await applyMigrations(pg.url);
  const s3Dir = `${process.cwd()}/.scratch/test-s3-${process.pid}`;
  const s3 = await startS3({ dataDir: s3Dir, buckets: ["media", "archive"] });
  mkdirSync(join(s3Dir, ".."), { recursive: true });

  // Two platform subscribers: `a` stays up; tests take `b` down, make it fail, or lose its acknowledgements.
  const hooks = await startWebhookReceiver(["a", "b"]);

  // A real file for the upload tests, made by FFmpeg (2 s of noisy 320×240 at 4 Mb/s, about 1 MB).
  const fixture = join(s3Dir, "..", `upload-fixture-${process.pid}.mp4`);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25,noise=alls=40:allf=t", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "1M", "-c:a", "aac", "-shortest", "-movflags", "+faststart", fixture]);

  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://control");
    if (url.pathname === "/fixture/clip.mp4") return void res.writeHead(200, { "content-type": "video/mp4" }).end(readFileSync(fixture));
    if (url.pathname === "/db/down") proxy.setDown(true);
    else if (url.pathname === "/db/up") (proxy.setDown(false), proxy.setHang(false));
    else if (url.pathname === "/db/hang") proxy.setHang(true);
    else if (url.pathname === "/hooks/mode") hooks.setMode(url.searchParams.get("subscriber")!, url.searchParams.get("mode") as ReceiverMode, url.searchParams.get("creatorId") ?? undefined);
    else if (url.pathname === "/hooks/received") {
      const mediaId = url.searchParams.get("mediaId") ?? undefined;
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(hooks.received({ mediaId })));
    }
    res.end("ok");
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));

  project.provide("databaseUrl", pg.url);
  project.provide("dbWsProxy", proxy.address);
  project.provide("s3Endpoint", s3.endpoint);
  project.provide("platformWebhookUrls", hooks.config());
  project.provide("controlUrl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  return async () => {
    control.close();
    await hooks.close();
    await s3.stop();
    await proxy.close();
    await pg.stop();
    rmSync(s3Dir, { recursive: true, force: true });
    rmSync(fixture, { force: true });
  };
}
