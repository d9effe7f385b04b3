/**
 * bench/fanout: time-to-ready of one long 1080p30 video as one job on one worker, and split into
 * chunks over N workers, in the same run. Each worker is one process pinned to its own CPU set
 * (taskset), so that N workers stand for N machines; the whole-file job (sound, preview,
 * thumbnail, loudness) and the plan and stitch steps are pinned too (said below). From the
 * measured figures: the fixed cost per chunk and a model of time-to-ready for 8 and 16 workers.
 *   npm run bench:fanout   (BENCH_SECONDS=120 for a quicker look; FANOUT_WORKERS=2 by default;
 *   BENCH_PARTS=stack|steps, BENCH_STACK_RUNS=one,split,short to pick runs)
 * Two parts (BENCH_PARTS=stack,steps by default):
 * - stack: through the whole local stack (the item's Durable Object dispatching chunk jobs to the
 *   RunPod stand-in, GPU worker processes pinned one per CPU set): time from trigger to ready with
 *   1 worker (one job) and with N workers (split), in the same run;
 * - steps: the fan-out's own steps as pinned processes (fanout/local.ts), from which the fixed
 *   cost per chunk and the model for 8 and 16 workers come.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setCommandLogger } from "../gpu-worker/src/ffmpeg/spawn.ts";
import { runFanoutLocally } from "../gpu-worker/src/fanout/local.ts";
import { DEFAULTS } from "../gpu-worker/src/pipeline.ts";
import { cached, cpuInfo, ffmpeg, fresh, OUT, time } from "./lib.ts";
import { stackTimeToReady, type StackRun } from "./fanout-stack.ts";
import { join } from "node:path";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const WORKERS = Number(process.env.FANOUT_WORKERS ?? Math.min(2, availableParallelism()));
/** Cores per worker: one here (2 cores stand for 2 one-core machines). */
const CORES = Number(process.env.FANOUT_CORES_PER_WORKER ?? 1);
/** What a RunPod worker takes to start a job when warm, added per wave in the model (not measured here). */
const COLD_START = Number(process.env.FANOUT_COLD_START_SECONDS ?? 2);
setCommandLogger(() => {});

const input = cached(`fanout-${SECONDS}s-1080p30.mp4`, (p) =>
  ffmpeg([
    "-f", "lavfi", "-i", `testsrc2=s=1920x1080:r=30:d=${SECONDS}`,
    "-f", "lavfi", "-i", `sine=f=330:r=48000:d=${SECONDS}`,
    // Moving pattern plus temporal noise: every frame differs, as camera footage does.
    "-vf", "noise=alls=6:allf=t",
    "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-g", "60", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "192k", "-shortest", p,
  ]),
);
const cpus = (slot: number) => (CORES === 1 ? String(slot) : `${slot * CORES}-${slot * CORES + CORES - 1}`);
console.log(`bench/fanout: ${SECONDS} s of 1080p30 on ${cpuInfo()}; ${WORKERS} workers of ${CORES} core(s), each pinned (taskset -c)`);

const PARTS = (process.env.BENCH_PARTS ?? "stack,steps").split(",");
const chunkSeconds = Math.max(30, Math.ceil(SECONDS / WORKERS / 6) * 6);
const fmt = (s: number) => `${s.toFixed(1)} s`;

if (PARTS.includes("stack")) {
  // Which stack runs (BENCH_STACK_RUNS, default all): one job on 1 worker, the split over WORKERS
  // in their shares, and the split in the service's 30 s chunks (BENCH_PLAYABLE_CHUNK_SECONDS).
  const RUNS = (process.env.BENCH_STACK_RUNS ?? "one,split,short").split(",");
  console.log(`  through the local stack (wrangler dev, RunPod stand-in, s3rver, PGlite unpinned beside the workers):`);
  const all = Array.from({ length: WORKERS }, (_, i) => cpus(i));
  const playable = (r: StackRun) => (r.playableSeconds === null ? "never before ready" : fmt(r.playableSeconds));
  const single = RUNS.includes("one") ? await stackTimeToReady(input, [cpus(0)], { chunkSeconds }) : null;
  if (single) console.log(`    1 worker (one job):           trigger → playable ${playable(single)}, → ready ${fmt(single.seconds)}  (job started at ${fmt(single.jobStartedSeconds ?? 0)})`);
  const many = RUNS.includes("split") ? await stackTimeToReady(input, all, { chunkSeconds }) : null;
  if (many) console.log(`    ${WORKERS} workers (${many.chunks} chunks of ${chunkSeconds} s): trigger → playable ${playable(many)}, → ready ${fmt(many.seconds)}  (${many.jobs} RunPod jobs; chunk encode s ${many.encodeSeconds.map((x) => x?.toFixed(1)).join(", ")})`);
  // Chunks as long as the service's default (FANOUT_CHUNK_SECONDS, 30 s): what a viewer waits for
  // is the first chunk, not a worker's share of the video.
  const playableChunk = Number(process.env.BENCH_PLAYABLE_CHUNK_SECONDS ?? 30);
  const short = RUNS.includes("short") && playableChunk > 0 && playableChunk < chunkSeconds ? await stackTimeToReady(input, all, { chunkSeconds: playableChunk }) : null;
  if (short) console.log(`    ${WORKERS} workers (${short.chunks} chunks of ${playableChunk} s): trigger → playable ${playable(short)}, → ready ${fmt(short.seconds)}  (first chunk encode ${fmt(short.encodeSeconds[0] ?? 0)})`);
  // Issue 21's target, from the job's start: 15 s plus one segment window (one job) or one chunk (split).
  if (single) {
    const segmentWindow = 6 / (SECONDS / single.seconds);
    console.log(`    time-to-playable target, one job: ≤ 15 s + one segment window (${fmt(segmentWindow)}) = ${fmt(15 + segmentWindow)} after its job started: measured ${playable(single)}`);
  }
  for (const r of [many, short].filter((x): x is StackRun => x !== null)) {
    const chunkTime = r.encodeSeconds[0] ?? 0;
    console.log(`    time-to-playable target, split in ${r.chunks} chunks: ≤ 15 s + one chunk (the first: ${fmt(chunkTime)}) = ${fmt(15 + chunkTime)}: measured ${playable(r)}`);
  }
  if (single && many) console.log(`    speed-up through the stack:   ${(single.seconds / many.seconds).toFixed(2)}×   (target ≥ 1.7× for 2 one-core workers)`);
}
if (!PARTS.includes("steps")) process.exit(0);

const job = (dir: string) => ({ input, outDir: fresh(dir), creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID(), mediaType: "video" as const, ...DEFAULTS, encoder: "x264" as const, archive: false });

// 1 worker: today's one job, on worker 0's CPU set.
const cli = fileURLToPath(new URL("../gpu-worker/src/cli.ts", import.meta.url));
const one = await time(() => {
  const j = job(join(OUT, "fanout-one"));
  execFileSync("taskset", ["-c", cpus(0), process.execPath, "--import", "tsx", cli, input, j.outDir, "--encoder", "x264", "--no-archive"], { stdio: "ignore" });
});

// The same job split: chunks long enough for one wave over the workers, at least 30 s.
async function split(workers: number, chunkSeconds: number) {
  const steps: Record<string, number> = {};
  const r = await time(() =>
    runFanoutLocally(job(join(OUT, `fanout-${workers}`)), {
      split: { chunkSeconds },
      workers,
      cpuSets: Array.from({ length: workers }, (_, i) => cpus(i)),
      // The whole-file job is one more machine in production; here it shares the last worker's set.
      restCpus: cpus(workers - 1),
      stepCpus: cpus(0),
      onStep: (step, s) => (steps[step] = s),
    }),
  );
  const chunks = Object.entries(steps).filter(([k]) => k.startsWith("chunk-")).map(([k, s]) => ({ index: Number(k.slice(6)), seconds: s }));
  return { seconds: r.seconds, steps, chunks, count: r.value.plan.chunks.chunks.length, chunkSeconds, plan: r.value.plan };
}
const sequential = await split(1, chunkSeconds);
const parallel = await split(WORKERS, chunkSeconds);

// Fixed cost per chunk: the same chunks on one worker, against one job on that worker.
const perChunk = (sequential.seconds - one.seconds) / sequential.count;
const encodeRate = (one.seconds - (sequential.steps.plan ?? 0)) / SECONDS; // worker-seconds per second of video
// n chunk workers and one more for the whole-file job, each starting cold once per wave: the
// plan, then the slower of the chunks' waves and the whole-file job (as measured beside a chunk
// on a shared core, so pessimistic), then the stitch.
const restSeconds = parallel.steps.rest ?? 0;
const model = (n: number) => {
  const length = Math.max(6, Math.ceil(SECONDS / n / 6) * 6);
  const waves = Math.ceil(Math.ceil(SECONDS / length) / n);
  const chunks = waves * (COLD_START + Math.max(0, perChunk) + encodeRate * length);
  return (sequential.steps.plan ?? 0) + Math.max(chunks, COLD_START + restSeconds) + (sequential.steps.stitch ?? 0);
};
console.log(`  the steps as pinned processes:`);
console.log(`  1 worker, one job:                         ${fmt(one.seconds)}`);
console.log(`  1 worker, ${sequential.count} chunks of ${chunkSeconds} s in turn:        ${fmt(sequential.seconds)}  (plan ${fmt(sequential.steps.plan ?? 0)}, rest ${fmt(sequential.steps.rest ?? 0)}, stitch ${fmt(sequential.steps.stitch ?? 0)})`);
console.log(`  ${WORKERS} workers, ${parallel.count} chunks at once:              ${fmt(parallel.seconds)}  (chunks ${parallel.chunks.map((c) => fmt(c.seconds)).join(", ")}; rest ${fmt(parallel.steps.rest ?? 0)})`);
console.log(`  speed-up, ${WORKERS} workers vs 1 (one job):          ${(one.seconds / parallel.seconds).toFixed(2)}×   (target ≥ 1.7× for 2 one-core workers)`);
console.log(`  fixed cost per chunk (process start, lead-in decode, encoder start and flush, the whole-file job's own preview decode shared out): ${fmt(perChunk)}`);
console.log(`  encode: ${encodeRate.toFixed(2)} worker-seconds per second of video; whole-file job ${fmt(restSeconds)}`);
for (const n of [8, 16]) {
  console.log(`  model, ${n} workers + 1 for the whole-file job (cold start ${COLD_START} s per wave, chunks of ${Math.max(6, Math.ceil(SECONDS / n / 6) * 6)} s): ${fmt(model(n))} = ${(one.seconds / model(n)).toFixed(2)}× one job${n === 8 ? "   (target ≥ 6×)" : ""}`);
}
