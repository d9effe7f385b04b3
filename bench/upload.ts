/**
 * bench/upload: a large local file into the media bucket (s3rver) through the resumable
 * multipart path (register → part URLs in batches → 4 parts in flight → complete, with the
 * server's size and first-bytes checks) against one presigned-style PUT of the same file, in the
 * same run, interleaved. Prints MiB/s of each and the ratio.
 *
 *   npm run bench:upload -- [--mib 1024] [--rounds 2]
 */
import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { AwsClient } from "aws4fetch";
import { apiOf, call, fileRange, tokenFor } from "../dev/client.ts";
import { sendParts } from "../dev/multipart-client.ts";
import { join } from "node:path";
import { OUT } from "./lib.ts";
import { startStackProcess } from "./stack-process.ts";

const { values } = parseArgs({ options: { mib: { type: "string", default: "1024" }, rounds: { type: "string", default: "2" } } });
const MIB = Number(values.mib);
const ROUNDS = Number(values.rounds);

// An MP4's first box, then random bytes: it passes the upload's check and does not compress.
const file = join(OUT, `upload-${MIB}MiB.bin`);
if (statSync(file, { throwIfNoEntry: false })?.size !== MIB * 2 ** 20) {
  const handle = await open(file, "w");
  await handle.write(Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2")]));
  for (let written = 24; written < MIB * 2 ** 20; ) {
    const chunk = randomBytes(Math.min(16 * 2 ** 20, MIB * 2 ** 20 - written));
    await handle.write(chunk);
    written += chunk.length;
  }
  await handle.close();
}
const size = statSync(file).size;

console.log(`› starting the stack…`);
const { stack, stop } = await startStackProcess();
try {
  const aws = new AwsClient({ accessKeyId: stack.secrets.S3_ACCESS_KEY_ID!, secretAccessKey: stack.secrets.S3_SECRET_ACCESS_KEY!, service: "s3", region: "us-east-1" });
  const token = await tokenFor(stack.secrets.JWT_SECRET!, randomUUID(), "creator");
  const results: { single: number[]; multipart: number[]; parts: number[]; complete: number[] } = { single: [], multipart: [], parts: [], complete: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // Baseline: one PUT of the whole file, streamed from disk, signed as a presigned PUT would be.
    let t = performance.now();
    const put = await aws.fetch(`${stack.s3Endpoint}/media/bench/single-${randomUUID()}.bin`, {
      method: "PUT",
      body: createReadStream(file) as never,
      headers: { "content-length": String(size), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      duplex: "half",
    } as RequestInit);
    if (!put.ok) throw new Error(`single PUT: ${put.status} ${await put.text()}`);
    results.single.push((performance.now() - t) / 1000);

    t = performance.now();
    const reg = await call(stack.url, "POST", "/api/media", token, { mediaType: "video", filename: "big.mp4", size, contentType: "video/mp4" });
    const api = apiOf(stack.url, token);
    await sendParts(api, reg.id, fileRange(file), { concurrency: 4 });
    const sentAt = performance.now();
    const done = await api("POST", `/api/media/${reg.id}/upload-complete`);
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
    const end = performance.now();
    results.multipart.push((end - t) / 1000);
    results.parts.push((sentAt - t) / 1000);
    results.complete.push((end - sentAt) / 1000);
    console.log(`  round ${round}: single PUT ${results.single.at(-1)!.toFixed(1)} s, multipart ${results.multipart.at(-1)!.toFixed(1)} s (${reg.upload.partCount} parts of ${reg.upload.partSize / 2 ** 20} MiB; complete ${results.complete.at(-1)!.toFixed(1)} s)`);
  }
  const rate = (s: number) => (size / 2 ** 20 / s).toFixed(0);
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`\nupload: ${MIB} MiB to s3rver on this machine, ${ROUNDS} interleaved rounds (best of each)`);
  console.log(`  one PUT                  ${best(results.single).toFixed(1)} s   ${rate(best(results.single))} MiB/s`);
  console.log(`  multipart, 4 in flight   ${best(results.multipart).toFixed(1)} s   ${rate(best(results.multipart))} MiB/s   (parts ${best(results.parts).toFixed(1)} s + complete ${best(results.complete).toFixed(1)} s)`);
  console.log(`  ratio multipart / PUT (time)  ${(best(results.multipart) / best(results.single)).toFixed(2)}×`);
} finally {
  await stop();
}
