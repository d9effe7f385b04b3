/**
 * bench/playback: what the viewers' route adds to each segment. A ready item's segments (256 KiB
 * each) are read through GET /play/<token>/360p/seg_N.m4s (token check, the item's object asked,
 * the bytes streamed from the bucket) and, as the baseline in the same run, straight from the
 * bucket with a presigned GET, alternating request by request; GET /health through the same
 * wrangler dev shows what any request to the local dev server costs by itself.
 *
 *   npm run bench:playback -- [--requests 400] [--concurrency 1]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { AwsClient } from "aws4fetch";
import { outputKeys } from "../src/contract/index.ts";
import { apiOf, call, tokenFor } from "../dev/client.ts";
import { uploadAll } from "../dev/multipart-client.ts";
import { mapLimit } from "../gpu-worker/src/runtime/retry.ts";
import { applyCallback, startStackProcess } from "./stack-process.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "400" }, concurrency: { type: "string", default: "1" } } });
const N = Number(values.requests);
const C = Number(values.concurrency);
const SEGMENTS = 20;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

console.log(`› starting the stack…`);
const { stack, stop } = await startStackProcess();
try {
  const creatorId = randomUUID();
  const token = await tokenFor(stack.secrets.JWT_SECRET!, creatorId, "creator");
  const head = new TextEncoder().encode("\u0000\u0000\u0000\u0010ftypisom");
  const reg = await call(stack.url, "POST", "/api/media", token, { mediaType: "video", filename: "p.mp4", size: head.length, contentType: "video/mp4" });
  await uploadAll(apiOf(stack.url, token), reg.id, async () => head);
  const s = await call(stack.url, "POST", `/api/media/${reg.id}/transcode`, token);
  const k = outputKeys({ creatorId, mediaId: reg.id, attemptId: s.attemptId });
  await applyCallback(stack, {
    attemptId: s.attemptId, jobId: s.jobId, mediaId: reg.id, status: "completed",
    output: { mediaType: "video", hlsMasterKey: k.hlsMaster, hlsPreviewKey: null, thumbnailKey: null, waveformKey: null, waveformImageKey: null, mezzanineKey: null, durationSeconds: 80, width: 640, height: 360, readyVariants: ["360p"], loudness: null, encoder: "libx264" },
  });

  const aws = new AwsClient({ accessKeyId: stack.secrets.S3_ACCESS_KEY_ID!, secretAccessKey: stack.secrets.S3_SECRET_ACCESS_KEY!, service: "s3", region: "us-east-1" });
  const segKey = (i: number) => `${k.hlsRoot}/360p/seg_${String(i).padStart(3, "0")}.m4s`;
  for (let i = 0; i < SEGMENTS; i++) {
    const res = await aws.fetch(`${stack.s3Endpoint}/media/${segKey(i)}`, { method: "PUT", body: randomBytes(256 * 1024) });
    if (!res.ok) throw new Error(`PUT segment: ${res.status}`);
  }
  const direct = await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, i) => {
      const url = new URL(`${stack.s3Endpoint}/media/${segKey(i)}`);
      url.searchParams.set("X-Amz-Expires", "3600");
      return (await aws.sign(new Request(url), { aws: { signQuery: true } })).url;
    }),
  );
  const minted = await call(stack.url, "POST", `/api/media/${reg.id}/playback-token`, token, { expiresInSeconds: 3600 });
  const viaPlay = (i: number) => `${stack.url}/play/${minted.token}/360p/seg_${String(i).padStart(3, "0")}.m4s`;

  const read = async (url: string, into: number[]) => {
    const t = performance.now();
    const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
    const body = await res.arrayBuffer();
    if (!res.ok || body.byteLength !== 256 * 1024) throw new Error(`${url}: ${res.status} ${body.byteLength}`);
    into.push(performance.now() - t);
  };
  // Warm both paths (the object's first load, connections).
  for (let i = 0; i < 10; i++) await Promise.all([read(direct[i % SEGMENTS]!, []), read(viaPlay(i % SEGMENTS), [])]);
  const bucket: number[] = [];
  const play: number[] = [];
  const floor: number[] = [];
  await mapLimit(Array.from({ length: N }, (_, i) => i), C, async (i) => {
    await read(direct[i % SEGMENTS]!, bucket);
    await read(viaPlay(i % SEGMENTS), play);
    // The dev server's own cost of any request (GET /health through the same wrangler dev).
    const t = performance.now();
    await (await fetch(`${stack.url}/health`, { headers: { "accept-encoding": "identity" } })).text();
    floor.push(performance.now() - t);
  });
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  const signed = (ms: number) => `${ms >= 0 ? "+" : "−"}${f(Math.abs(ms))}`;
  console.log(`\nplayback: ${N} segment reads of 256 KiB each way, concurrency ${C}, wrangler dev + s3rver`);
  console.log(`  straight from the bucket (presigned GET)  p50 ${f(pct(bucket, 50))}  p99 ${f(pct(bucket, 99))}`);
  console.log(`  through /play/<token>/…                   p50 ${f(pct(play, 50))}  p99 ${f(pct(play, 99))}`);
  console.log(`  added per segment                         p50 +${f(pct(play, 50) - pct(bucket, 50))}  p99 +${f(pct(play, 99) - pct(bucket, 99))}`);
  console.log(`  ratio p50 /play / bucket                  ${(pct(play, 50) / pct(bucket, 50)).toFixed(2)}×`);
  console.log(`  floor: GET /health through wrangler dev   p50 ${f(pct(floor, 50))}  p99 ${f(pct(floor, 99))}  (so the route's own work is ≈ ${signed(pct(play, 50) - pct(bucket, 50) - pct(floor, 50))} at p50)`);
} finally {
  await stop();
}
