/**
 * bench/control-plane: N media items driven concurrently through trigger → 5 progress callbacks
 * → completed, against `wrangler dev` (Worker + Durable Objects), the RunPod stand-in and the
 * embedded Postgres. The benchmark plays the GPU worker: it signs and sends the callbacks itself.
 *
 *   npm run bench:control-plane -- [--items 500] [--concurrency 10]
 *
 * Two costs of the local dev server that a deployed Worker does not have are left out, so the
 * figures measure the control plane rather than the tooling around it:
 * - logging: the Worker runs with LOG_LEVEL=warn unless LOG_LEVEL says otherwise (`wrangler dev`
 *   pipes every log line through Node, and logs each request; Workers Logs are collected out of
 *   band);
 * - gzip: requests say `accept-encoding: identity`; wrangler dev compresses JSON answers as the
 *   edge would, which cost this load generator 3 s of zlib per run for answers of ~100 bytes.
 *
 * Prints lifecycles per second, callback latency percentiles, the ratio of the callback p99 to a
 * baseline measured in the same run (GET /health through the same wrangler dev: the floor of any
 * request), how many rows reached `ready` in Postgres (must equal N), and the outbound webhooks'
 * delivery latency (transition → a verifying subscriber in this process) with how many items'
 * media.ready arrived (must equal N).
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import { outputKeys } from "../src/contract/index.ts";
import { apiOf, call, tokenFor } from "../dev/client.ts";
import { uploadAll } from "../dev/multipart-client.ts";
import { startWebhookReceiver } from "../dev/webhook-receiver.ts";
import { applyCallback, startStackProcess } from "./stack-process.ts";
import { useLocalProxy, withClient } from "../dev/db.ts";
import { mapLimit } from "../gpu-worker/src/runtime/retry.ts";

/** The first bytes of an MP4 (an `ftyp` box): enough for the upload's check; no job really runs. */
const TINY_MP4 = new TextEncoder().encode("\u0000\u0000\u0000\u0010ftypisom");

const { values } = parseArgs({ options: { items: { type: "string", default: "500" }, concurrency: { type: "string", default: "10" } } });
const N = Number(values.items);
const C = Number(values.concurrency);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const timed = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    into.push(performance.now() - t);
  }
};

// The platform's subscriber, in this process: webhook delivery latency is measured where it lands.
const hooks = await startWebhookReceiver(["platform"]);
console.log(`› starting the stack (no GPU worker: this benchmark sends the callbacks)…`);
const { stack, stop } = await startStackProcess({ PLATFORM_WEBHOOK_URLS: hooks.config() });
useLocalProxy(stack.dbWsProxy);
const callback = (body: Record<string, unknown>) => applyCallback(stack, body);

try {
  // Setup (not timed): N creators' items registered, originals uploaded, marked uploaded.
  const items: { id: string; creatorId: string; token: string }[] = [];
  const tSetup = performance.now();
  await mapLimit(Array.from({ length: N }, (_, i) => i), C, async () => {
    const creatorId = randomUUID();
    const token = await tokenFor(stack.secrets.JWT_SECRET!, creatorId);
    const reg = await call(stack.url, "POST", "/api/media", token, { mediaType: "video", filename: "bench.mp4", size: TINY_MP4.length, contentType: "video/mp4" });
    const done = await uploadAll(apiOf(stack.url, token), reg.id, async () => TINY_MP4);
    if (done.status !== 200) throw new Error(`upload-complete ${done.status}`);
    items.push({ id: reg.id, creatorId, token });
  });
  console.log(`› ${N} items registered and uploaded in ${((performance.now() - tSetup) / 1000).toFixed(1)} s`);

  // Baseline in the same run: the cheapest request through the same wrangler dev, same concurrency.
  const health: number[] = [];
  await mapLimit(Array.from({ length: N * 6 }, (_, i) => i), C, async () => {
    await timed(health, () => fetch(`${stack.url}/health`, { headers: { "accept-encoding": "identity" } }).then((r) => r.text()));
  });

  const triggers: number[] = [];
  const callbacks: number[] = [];
  const t0 = performance.now();
  await mapLimit(items, C, async (item) => {
    const s = await timed(triggers, () => call(stack.url, "POST", `/api/media/${item.id}/transcode`, item.token));
    const envelope = { attemptId: s.attemptId, jobId: s.jobId, mediaId: item.id };
    for (const percent of [10, 30, 50, 70, 90]) {
      await timed(callbacks, () => callback({ ...envelope, status: "progress", phase: "encoding", percent }));
    }
    const keys = outputKeys({ creatorId: item.creatorId, mediaId: item.id, attemptId: s.attemptId });
    const output = {
      mediaType: "video", hlsMasterKey: keys.hlsMaster, hlsPreviewKey: keys.hlsPreview, thumbnailKey: keys.thumbnail,
      waveformKey: null, waveformImageKey: null, mezzanineKey: keys.mezzanine, durationSeconds: 60, width: 1920, height: 1080,
      readyVariants: ["1080p", "720p", "480p", "360p"], loudness: { integrated: -16.1, truePeak: -1.6, range: 5.2 }, encoder: "libx264",
    };
    await timed(callbacks, () => callback({ ...envelope, status: "completed", output }));
  });
  const wall = (performance.now() - t0) / 1000;

  // The projection is written right after each transition; give the last writes a moment.
  const countReady = () =>
    withClient(stack.databaseUrl, async (c) => Number((await c.query("SELECT count(*) AS n FROM media_items WHERE status = 'ready'")).rows[0].n));
  let ready = await countReady();
  const waitEnd = Date.now() + 60_000;
  while (ready < N && Date.now() < waitEnd) {
    await new Promise((r) => setTimeout(r, 500));
    ready = await countReady();
  }
  // Every item's media.ready at the subscriber (they leave just after each answer).
  const readyHooks = () => new Set(hooks.received().filter((h) => h.type === "media.ready" && h.answered < 300).map((h) => h.mediaId)).size;
  while (readyHooks() < N && Date.now() < waitEnd) await new Promise((r) => setTimeout(r, 200));
  // From the transition (the event's own timestamp) to its arrival at the subscriber; first tries only.
  const firstTries = new Map<string, number>();
  for (const h of hooks.received()) if (h.eventAt !== null && !firstTries.has(h.id)) firstTries.set(h.id, h.receivedAt - h.eventAt);
  const delivery = [...firstTries.values()];
  const verified = hooks.received().every((h) => h.verified);

  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(`\ncontrol plane: ${N} lifecycles, concurrency ${C}, ${os.availableParallelism()} cores, wrangler dev + PGlite, LOG_LEVEL=${process.env.LOG_LEVEL ?? "warn"}`);
  console.log(`  wall (trigger → 5 progress → completed)   ${wall.toFixed(1)} s`);
  console.log(`  lifecycles per second                     ${(N / wall).toFixed(1)}`);
  console.log(`  callbacks: n=${callbacks.length}  p50 ${f(pct(callbacks, 50))}  p99 ${f(pct(callbacks, 99))}  max ${f(Math.max(...callbacks))}`);
  console.log(`  triggers:  n=${triggers.length}  p50 ${f(pct(triggers, 50))}  p99 ${f(pct(triggers, 99))}`);
  console.log(`  baseline GET /health: n=${health.length}  p50 ${f(pct(health, 50))}  p99 ${f(pct(health, 99))}`);
  console.log(`  ratio callback p99 / baseline p99        ${(pct(callbacks, 99) / pct(health, 99)).toFixed(2)}×`);
  console.log(`  rows ready in Postgres                    ${ready} / ${N} ${ready === N ? "✓" : "✗"}`);
  console.log(`  webhooks: n=${delivery.length} messages  delivery p50 ${f(pct(delivery, 50))}  p99 ${f(pct(delivery, 99))}  (transition → subscriber)`);
  console.log(`  media.ready delivered, signatures verified ${readyHooks()} / ${N} ${readyHooks() === N && verified ? "✓" : "✗"}`);
  console.log(`  target p99 < 100 ms                       ${pct(callbacks, 99) < 100 ? "met" : "NOT met"}`);
  if (ready !== N || readyHooks() !== N || !verified) process.exitCode = 1;
} finally {
  await stop();
  await hooks.close();
}
