import http from "node:http";
import type { AddressInfo } from "node:net";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startStack } from "../../dev/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2e: { url: string; jwtSecret: string; databaseUrl: string; dbWsProxy: string; s3Endpoint: string; control: string; stuckJobFloorSeconds: number; dataDir: string };
  }
}

export const STUCK_JOB_FLOOR_SECONDS = 25;

/**
 * Starts the whole local stack once. A control port lets tests do what cannot be done from a
 * test worker: kill and restart the GPU worker process, stop and restart Postgres.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "e2e-stack-"));
  // 256 KiB parts: every fixture is a many-part upload.
  const stack = await startStack({ dataDir, stuckJobFloorSeconds: STUCK_JOB_FLOOR_SECONDS, databaseUrl: process.env.TEST_DATABASE_URL, uploadPartSizeBytes: 256 * 1024,
    // The ingest tests serve their files on 127.0.0.1: allowed by name, so the address rules stay on for every other loopback address (127.0.0.2 is refused).
    ingestAllowHosts: ["127.0.0.1"] });
  const control = http.createServer(async (req, res) => {
    try {
      if (req.url === "/worker/kill") await stack.killWorker("SIGKILL");
      else if (req.url === "/worker/start") await stack.startWorker();
      else if (req.url === "/postgres/stop") await stack.postgres.pause();
      else if (req.url === "/postgres/start") await stack.postgres.resume();
      else if (req.url?.startsWith("/webhooks?")) {
        const mediaId = new URL(req.url, "http://control").searchParams.get("mediaId") ?? undefined;
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stack.webhooks.received({ mediaId })));
      }
      else return res.writeHead(404).end();
      res.end("ok");
    } catch (error) {
      res.writeHead(500).end((error as Error).message);
    }
  });
  await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
  project.provide("e2e", {
    url: stack.url,
    jwtSecret: stack.secrets.JWT_SECRET!,
    databaseUrl: stack.postgres.url,
    dbWsProxy: stack.proxy.address,
    s3Endpoint: stack.s3.endpoint,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    stuckJobFloorSeconds: STUCK_JOB_FLOOR_SECONDS,
    dataDir,
  });
  return async () => {
    control.close();
    await stack.stop();
    // E2E_LOG_DIR=path keeps wrangler's and the GPU worker's logs of the run.
    if (process.env.E2E_LOG_DIR) cpSync(join(dataDir, "logs"), process.env.E2E_LOG_DIR, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
