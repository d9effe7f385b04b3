import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { lockDataDir } from "./data-lock.ts";
import { applyMigrations, useLocalProxy } from "./db.ts";
import { startPostgres, type LocalPostgres } from "./postgres.ts";
import { startRunpodStandin, type RunpodStandin } from "./runpod-standin.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";
import { startS3, type LocalS3 } from "./s3.ts";
import { startWsProxy, targetOf, type WsProxy } from "./ws-proxy.ts";

const ROOT = resolve(import.meta.dirname, "..");

export interface StackOptions {
  /** Where state lives (PGlite data, S3 objects, Durable Object storage, logs). */
  dataDir: string;
  /** Port of the Worker; 0 picks a free one. */
  port?: number;
  /** Postgres to use instead of the embedded PGlite. */
  databaseUrl?: string;
  /**
   * Stall window and hard-ceiling floor (seconds); tests shorten them to see the alarm act. The
   * GPU worker's heartbeat is then shortened to a fifth, so that a healthy job never looks stalled.
   */
  stuckJobFloorSeconds?: number;
  /** Keep PGlite data on disk (npm start) or in memory (tests). */
  persist?: boolean;
  /** Start the GPU worker loop (default true); the control-plane benchmark plays the worker itself. */
  worker?: boolean;
  /**
   * GPU worker processes polling the stand-in (default 1). Above 1, long videos are split across
   * them (FANOUT_MAX_WORKERS = this), as RunPod's workers would share one item's chunks.
   */
  workers?: number;
  /** `taskset -c` CPU sets, one per worker process, so that each stands for one machine (benchmarks). */
  workerCpus?: string[];
  /** The split's threshold and chunk length (FANOUT_MIN_SECONDS, FANOUT_CHUNK_SECONDS); tests split short videos. */
  fanout?: { minSeconds?: number; chunkSeconds?: number };
  /** The Worker's LOG_LEVEL (info by default); at warn, wrangler's request log is off as well. */
  logLevel?: "info" | "warn";
  /**
   * INGEST_ALLOW_HOSTS for both halves: hosts (`host` or `host:port`) an ingest from a URL may
   * reach although the address rules would refuse them (tests serve files on loopback).
   */
  ingestAllowHosts?: string[];
  /** Multipart part size the Worker hands out (16 MiB unless told; tests use small parts). */
  uploadPartSizeBytes?: number;
  log?: (line: string) => void;
}

export interface Stack {
  url: string;
  secrets: Record<string, string>;
  postgres: LocalPostgres;
  proxy: WsProxy;
  s3: LocalS3;
  runpod: RunpodStandin;
  /** The platform's subscriber (`platform`): every outbound webhook lands here, verified. */
  webhooks: WebhookReceiver;
  /** The first GPU worker process (the real worker loop on the CPU encoder). */
  worker(): ChildProcess;
  /** Every GPU worker process, by slot. */
  workers(): ChildProcess[];
  /** Starts the worker of a slot (0 unless told), again after it was killed. */
  startWorker(slot?: number): Promise<void>;
  killWorker(signal?: NodeJS.Signals, slot?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Reads KEY=VALUE lines (.dev.vars). */
export function readVars(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(p, "127.0.0.1", () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
  return preferred ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess | null, signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * The whole product on one machine, each part real except RunPod: Postgres (PGlite or
 * DATABASE_URL) behind Neon's WebSocket proxy, s3rver with both buckets, the RunPod stand-in,
 * the GPU worker's loop (libx264), and `wrangler dev` running the Worker and Durable Objects.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  mkdirSync(join(dataDir, "logs"), { recursive: true });
  if (!existsSync(join(ROOT, ".dev.vars"))) throw new Error(".dev.vars is missing: run `bash scripts/bootstrap.sh` first");
  const secrets = readVars(join(ROOT, ".dev.vars"));
  const workerCount = Math.max(1, Math.floor(opts.workers ?? 1));
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  const unlock = lockDataDir(dataDir);
  cleanups.push(async () => unlock());

  try {
    const postgres = await startPostgres({ databaseUrl: opts.databaseUrl, dataDir: opts.persist ? join(dataDir, "pglite") : undefined });
    cleanups.push(() => postgres.stop());
    const proxy = await startWsProxy({ target: targetOf(postgres.url) });
    cleanups.push(() => proxy.close());
    useLocalProxy(proxy.address);
    await applyMigrations(postgres.url);
    log(`postgres ${postgres.embedded ? "(embedded PGlite)" : "(DATABASE_URL)"} at ${postgres.host}:${postgres.port}, migrations applied`);

    // The control plane's port first: its dashboard is the one web page that may reach storage (CORS).
    const port = await freePort(opts.port ?? 0);
    const url = `http://127.0.0.1:${port}`;
    const s3 = await startS3({ dataDir: join(dataDir, "s3"), buckets: ["media", "archive"], corsOrigins: [url, `http://localhost:${port}`] });
    cleanups.push(() => s3.stop());
    log(`s3rver at ${s3.endpoint} (buckets media, archive)`);

    const runpod = await startRunpodStandin({ apiKey: secrets.RUNPOD_API_KEY!, workerKey: "local-worker-key" });
    cleanups.push(() => runpod.stop());
    log(`RunPod stand-in at ${runpod.apiBase}/${runpod.endpointId}`);

    // A stand-in for the platform's Content Service: the Worker's webhooks go here and are verified.
    const webhooks = await startWebhookReceiver(["platform"]);
    cleanups.push(() => webhooks.close());
    log(`platform webhook receiver at ${webhooks.url("platform")} (Standard Webhooks, verified)`);

    const vars: Record<string, string> = {
      RUNPOD_API_BASE: runpod.apiBase,
      RUNPOD_ENDPOINT_ID: runpod.endpointId,
      WEBHOOK_BASE_URL: url,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: "us-east-1",
      ARCHIVE_ENDPOINT: s3.endpoint,
      DB_WS_PROXY: proxy.address,
      DATABASE_URL: postgres.url,
      LOG_LEVEL: opts.logLevel ?? "info",
      // A benchmark brings its own subscriber (it measures delivery latency there).
      PLATFORM_WEBHOOK_URLS: process.env.PLATFORM_WEBHOOK_URLS || webhooks.config(),
      ...(opts.uploadPartSizeBytes ? { UPLOAD_PART_SIZE_BYTES: String(opts.uploadPartSizeBytes) } : {}),
      ...(opts.ingestAllowHosts?.length ? { INGEST_ALLOW_HOSTS: opts.ingestAllowHosts.join(",") } : {}),
      // As many chunk jobs at once as there are workers to take them: one worker, no split.
      FANOUT_MAX_WORKERS: String(workerCount),
      ...(opts.fanout?.minSeconds !== undefined ? { FANOUT_MIN_SECONDS: String(opts.fanout.minSeconds) } : {}),
      ...(opts.fanout?.chunkSeconds !== undefined ? { FANOUT_CHUNK_SECONDS: String(opts.fanout.chunkSeconds) } : {}),
      // Tests shorten the stuck-job deadline so that the alarm's reconciliation can be watched.
      ...(opts.stuckJobFloorSeconds
        ? {
            STALL_WINDOW_SECONDS: String(opts.stuckJobFloorSeconds),
            // Above the stall window, as in production (600 s vs 900 s): a dead worker is found by its silence.
            STUCK_JOB_FLOOR_SECONDS: String(opts.stuckJobFloorSeconds * 3),
          }
        : {}),
    };
    const wranglerLog = createWriteStream(join(dataDir, "logs/wrangler.log"), { flags: "a" });
    const wrangler = spawn(
      process.execPath,
      [
        join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev",
        "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
        "--persist-to", join(dataDir, "wrangler"),
        "--show-interactive-dev-session=false",
        // At warn, miniflare also skips the loopback POST it makes to log each request.
        ...(opts.logLevel === "warn" ? ["--log-level", "warn"] : []),
        ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    wrangler.stdout!.pipe(wranglerLog);
    wrangler.stderr!.pipe(wranglerLog);
    cleanups.push(() => stopChild(wrangler));
    await waitFor(`${url}/health`, wrangler, 60_000);
    log(`control plane (wrangler dev) at ${url}`);

    const workers: (ChildProcess | null)[] = Array.from({ length: workerCount }, () => null);
    const startWorker = async (slot = 0) => {
      const workerLog = createWriteStream(join(dataDir, `logs/gpu-worker${slot ? `-${slot}` : ""}.log`), { flags: "a" });
      const cpus = opts.workerCpus?.[slot];
      const node = [process.execPath, "--import", "tsx", join(ROOT, "gpu-worker/src/runtime/main.ts")];
      const [cmd, ...args] = cpus ? ["taskset", "-c", cpus, ...node] : node;
      const before = await idleAndRunning();
      const worker = spawn(cmd!, args, {
        cwd: ROOT,
        env: {
          ...process.env,
          ...runpod.workerEnv(`local-pod-${slot}-${Date.now().toString(36)}`),
          RUNPOD_WEBHOOK_SECRET: secrets.RUNPOD_WEBHOOK_SECRET!,
          // The control plane is the only host the worker may call back.
          WEBHOOK_ALLOWED_ORIGINS: url,
          S3_ENDPOINT: s3.endpoint,
          S3_REGION: "us-east-1",
          S3_ACCESS_KEY_ID: secrets.S3_ACCESS_KEY_ID!,
          S3_SECRET_ACCESS_KEY: secrets.S3_SECRET_ACCESS_KEY!,
          ARCHIVE_ENDPOINT: s3.endpoint,
          ENCODER: "x264", // no GPU here: the CPU encoder, exactly as a GPU without NVENC would fall back
          // One scratch per worker, as each RunPod worker has its own disk.
          SCRATCH_DIR: join(dataDir, slot ? `scratch-${slot}` : "scratch"),
          ...(opts.ingestAllowHosts?.length ? { INGEST_ALLOW_HOSTS: opts.ingestAllowHosts.join(",") } : {}),
          ...(opts.stuckJobFloorSeconds ? { PROGRESS_HEARTBEAT_SECONDS: String(Math.max(1, Math.floor(opts.stuckJobFloorSeconds / 5))) } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      workers[slot] = worker;
      worker.stdout!.pipe(workerLog);
      worker.stderr!.pipe(workerLog);
      // Up once it has polled the stand-in.
      const started = Date.now();
      while (Date.now() - started < 30_000) {
        if ((await idleAndRunning()) > before) return;
        if (worker.exitCode !== null) throw new Error(`GPU worker exited with ${worker.exitCode}; see ${join(dataDir, "logs/gpu-worker.log")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("GPU worker did not poll the RunPod stand-in within 30 s");
    };
    const health = `${runpod.apiBase}/${runpod.endpointId}/health`;
    async function idleAndRunning(): Promise<number> {
      const h = (await (await fetch(health, { headers: { authorization: `Bearer ${secrets.RUNPOD_API_KEY}` } })).json()) as { workers: { idle: number; running: number } };
      return h.workers.idle + h.workers.running;
    }
    cleanups.push(() => Promise.all(workers.map((w) => stopChild(w))));
    if (opts.worker !== false) {
      for (let slot = 0; slot < workerCount; slot++) await startWorker(slot);
      log(`${workerCount} GPU worker loop${workerCount > 1 ? "s" : ""} polling the stand-in (encoder libx264)${workerCount > 1 ? `; videos of ${opts.fanout?.minSeconds ?? 90} s or more are split across them` : ""}`);
    }

    return {
      url,
      secrets,
      postgres,
      proxy,
      s3,
      runpod,
      webhooks,
      worker: () => workers[0]!,
      workers: () => workers.filter((w): w is ChildProcess => w !== null),
      startWorker,
      killWorker: (signal = "SIGKILL", slot = 0) => stopChild(workers[slot] ?? null, signal),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
