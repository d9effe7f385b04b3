/**
 * `npm start [file]`: starts the local stack (see dev/stack.ts), uploads the file (or a generated
 * sample) through the API, triggers transcoding, shows its progress from the status endpoint, and
 * prints the dashboard URL where it plays. Ctrl-C stops everything. `--exit` stops once ready.
 * `--workers N` runs N GPU worker processes: a video of FANOUT_MIN_SECONDS (90) or more is then
 * split across them in chunks of FANOUT_CHUNK_SECONDS (30), as on RunPod.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { call, tokenFor, upload, waitFor } from "../dev/client.ts";
import { startStack } from "../dev/stack.ts";

const root = resolve(import.meta.dirname, "..");
const { values, positionals } = parseArgs({ allowPositionals: true, options: { exit: { type: "boolean", default: false }, port: { type: "string", default: "8787" }, workers: { type: "string", default: "1" } } });
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
  console.error("✗ --workers takes a whole number from 1 to 64");
  process.exit(2);
}
const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const dataDir = join(root, ".data");
mkdirSync(dataDir, { recursive: true });

let input = positionals[0] ? resolve(positionals[0]) : join(dataDir, "sample-1080p.mp4");
if (positionals[0] && !existsSync(input)) {
  console.error(`✗ no such file: ${input}`);
  process.exit(2);
}
if (!positionals[0] && !existsSync(input)) {
  console.log("› no file given: generating a 12 s 1080p30 sample with FFmpeg…");
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=12",
    "-f", "lavfi", "-i", "sine=f=440:r=48000:d=12",
    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", input,
  ]);
}

const t0 = Date.now();
const stack = await startStack({
  dataDir,
  port: Number(values.port),
  persist: true,
  databaseUrl: process.env.DATABASE_URL,
  workers,
  fanout: { minSeconds: env("FANOUT_MIN_SECONDS"), chunkSeconds: env("FANOUT_CHUNK_SECONDS") },
  log: (l) => console.log(`  ✓ ${l}`),
}).catch(
  (error: Error) => {
    console.error(`  ✗ ${error.message}`);
    process.exit(1);
  },
);
console.log(`› local stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in .data/logs/)`);
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log("\n› stopping…");
  await stack.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  const creator = "00000000-0000-4000-8000-00000000c0de";
  const token = await tokenFor(stack.secrets.JWT_SECRET!, creator, "creator");
  const admin = await tokenFor(stack.secrets.JWT_SECRET!, "00000000-0000-4000-8000-00000000ad31", "admin");
  const t1 = Date.now();
  const id = await upload(stack.url, token, input);
  console.log(`› uploaded ${input} as media ${id}`);
  await call(stack.url, "POST", `/api/media/${id}/transcode`, token);
  const tty = process.stdout.isTTY;
  let lastLine = "";
  const final = await waitFor(stack.url, token, id, (s) => s.status === "ready" || s.status === "failed", {
    timeoutMs: 30 * 60_000,
    intervalMs: 300,
    onUpdate: (s) => {
      const p = Math.floor(s.percent ?? 0);
      const chunks = s.chunks ? ` chunks ${s.chunks.done}/${s.chunks.count}${s.chunks.stitching ? " · stitching" : ""}` : "";
      const line = `${"█".repeat(Math.round(p / 100 * 30)).padEnd(30, "░")} ${String(p).padStart(3)}% ${(s.phase ?? s.status).padEnd(12)}${chunks}`;
      if (tty) process.stdout.write(`\r${line}`);
      else if (line !== lastLine) console.log(line);
      lastLine = line;
    },
  });
  if (tty) process.stdout.write("\n");
  const seconds = ((Date.now() - t1) / 1000).toFixed(1);
  if (final.status === "failed") {
    console.log(`✗ transcoding failed after ${seconds} s: ${final.error?.code}: ${final.error?.message}`);
  } else {
    const split = final.chunks ? ` · ${final.chunks.count} chunks (encode s ${final.chunks.encodeSeconds.map((x: number | null) => x?.toFixed(1)).join(", ")})` : "";
    console.log(`✓ ready in ${seconds} s: ${final.readyVariants.join(", ")} · encoder ${final.output?.encoder ?? "audio"}${split}`);
  }
  console.log(`\n  dashboard: ${stack.url}/admin/#/media/${id}?token=${admin}`);
  console.log(`  overview:  ${stack.url}/admin/   (admin token: ${admin})`);
  if (values.exit) await shutdown(final.status === "ready" ? 0 : 1);
  else console.log("\n  the stack keeps running; Ctrl-C stops everything.");
} catch (error) {
  console.error(`✗ ${(error as Error).message}`);
  await shutdown(1);
}
