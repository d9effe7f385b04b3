/**
 * `npm start [file]`: transcodes a file (or a generated 20 s 1080p sample) through the GPU
 * worker's pipeline on this machine's CPU encoder, into .data/out/, and prints what it made.
 * (The full local stack — control plane, Postgres, S3, RunPod stand-in, dashboard — is issue 5.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, ".data/out");
mkdirSync(out, { recursive: true });
let input = process.argv[2];
if (!input) {
  input = join(root, ".data/sample-1080p.mp4");
  if (!existsSync(input)) {
    console.log("› no file given: generating a 20 s 1080p sample with FFmpeg…");
    execFileSync("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=20",
      "-f", "lavfi", "-i", "sine=f=440:r=48000:d=20",
      "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", input,
    ]);
  }
}
const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "gpu-worker/src/cli.ts"), resolve(input), out], { stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
console.log(`\nmaster playlist: ${join(out, result.hlsMasterKey)}`);
console.log(`play it with:   ffplay '${join(out, result.hlsMasterKey)}'`);
