/**
 * npm run transcode -- <input-file> <output-dir> [--type video|audio] [--encoder auto|nvenc|x264]
 *                      [--chunks N | --chunk-seconds S] [--workers W]
 * Writes exactly the files the job would upload, at their storage keys under <output-dir>,
 * plus result.json in the callback's `output` shape (or `{ error }` with a non-zero exit).
 * --chunks / --chunk-seconds split a video's ladder into time chunks, each encoded by its own
 * process (at most W at once), and stitch them, as the service does across RunPod workers.
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { classify } from "./pipeline/step.ts";
import { setCommandLogger } from "./ffmpeg/spawn.ts";
import { DEFAULTS, removeOutputs, runPipeline } from "./pipeline.ts";
import type { EncoderChoice } from "./encoders/detect.ts";
import { runFanoutLocally } from "./fanout/local.ts";
import { cutClip } from "./clip.ts";

const AUDIO_EXTENSIONS = new Set([".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus"]);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    type: { type: "string" },
    encoder: { type: "string", default: "auto" },
    "no-archive": { type: "boolean", default: false },
    "keep-loudness": { type: "boolean", default: false },
    mp4: { type: "string", default: "none" },
    clip: { type: "string" },
    m4a: { type: "boolean", default: false },
    verbose: { type: "boolean", short: "v", default: false },
    chunks: { type: "string" },
    "chunk-seconds": { type: "string" },
    workers: { type: "string" },
  },
});
const [input, outDir] = positionals;
if (!input || !outDir || !["auto", "nvenc", "x264"].includes(values.encoder!) || !["none", "highest", "all"].includes(values.mp4!)) {
  console.error("usage: npm run transcode -- <input-file> <output-dir> [--type video|audio] [--encoder auto|nvenc|x264] [--no-archive] [--keep-loudness] [--mp4 none|highest|all] [--m4a] [--clip START-END] [--chunks N | --chunk-seconds S] [--workers N]");
  process.exit(2);
}
const positive = (s: string | undefined) => (s === undefined ? undefined : Number(s));
const split = { chunks: positive(values.chunks), chunkSeconds: positive(values["chunk-seconds"]) };
const workers = positive(values.workers);
for (const n of [split.chunks, split.chunkSeconds, workers]) {
  if (n !== undefined && !(Number.isFinite(n) && n > 0)) {
    console.error("--chunks, --chunk-seconds and --workers take a positive number");
    process.exit(2);
  }
}
const fanout = split.chunks !== undefined || split.chunkSeconds !== undefined;
// --clip 10-20: the item is a clip of the input (POST /api/media/:id/clips): cut first, then transcoded.
const clipRange = values.clip === undefined ? null : /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(values.clip);
if (values.clip !== undefined && (!clipRange || Number(clipRange[2]) - Number(clipRange[1]) < 1)) {
  console.error("--clip takes START-END in seconds, at least 1 s apart (e.g. 10-20)");
  process.exit(2);
}
const mediaType = (values.type ?? (AUDIO_EXTENSIONS.has(extname(input).toLowerCase()) ? "audio" : "video")) as "video" | "audio";
if (mediaType !== "video" && mediaType !== "audio") {
  console.error("--type must be video or audio");
  process.exit(2);
}

if (fanout && mediaType !== "video") {
  console.error("--chunks and --chunk-seconds split a video's ladder; an audio item is one job");
  process.exit(2);
}

const tty = process.stderr.isTTY;
if (!values.verbose) setCommandLogger(() => {});
function bar(phase: string, percent: number) {
  if (!tty) return;
  const width = 30;
  const filled = Math.round((percent / 100) * width);
  process.stderr.write(`\r${"█".repeat(filled)}${"░".repeat(width - filled)} ${percent.toFixed(1).padStart(5)}% ${phase.padEnd(10)}`);
}

const controller = new AbortController();
process.on("SIGINT", () => controller.abort());
const job = {
  input: resolve(input),
  outDir: resolve(outDir),
  creatorId: randomUUID(),
  mediaId: randomUUID(),
  attemptId: randomUUID(),
  mediaType,
  ...DEFAULTS,
  encoder: values.encoder as EncoderChoice,
  archive: !values["no-archive"],
  // normalizeAudio: false — the sound keeps its own level (loudness still measured and reported).
  normalizeAudio: !values["keep-loudness"],
  // MP4/M4A downloads, remuxed from the finished segments (README "Downloads").
  downloads: { mp4: values.mp4 as "none" | "highest" | "all", audio: values.m4a! },
  signal: controller.signal,
  onProgress: (e: { phase: string; percent: number }) => bar(e.phase, e.percent),
  log: (l: string) => console.error(l),
};
await mkdir(job.outDir, { recursive: true });
const started = Date.now();
if (clipRange) {
  const cut = join(job.outDir, ".clip", "original.mkv");
  await mkdir(dirname(cut), { recursive: true });
  await cutClip({ source: job.input, output: cut, startSeconds: Number(clipRange[1]), endSeconds: Number(clipRange[2]), maxDurationSeconds: DEFAULTS.maxDurationSeconds, opts: { signal: controller.signal } });
  console.error(`cut ${values.clip} s in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  job.input = cut;
}
try {
  const result = fanout
    ? await runFanoutLocally(job, { split, workers, signal: controller.signal, onStep: (step, s) => values.verbose && console.error(`${step} done in ${s.toFixed(1)} s`) })
    : await runPipeline(job);
  await writeFile(join(job.outDir, "result.json"), JSON.stringify(result.output, null, 2));
  if (tty) process.stderr.write("\n");
  const seconds = (Date.now() - started) / 1000;
  console.error(
    `done in ${seconds.toFixed(1)} s (${(result.info.durationSeconds / seconds).toFixed(2)}× realtime), ${result.files.length} files, encoder ${result.output.encoder ?? "audio"}`,
  );
  console.log(join(job.outDir, "result.json"));
} catch (error) {
  if (tty) process.stderr.write("\n");
  const e = classify("The job", error);
  await removeOutputs(job);
  await writeFile(join(job.outDir, "result.json"), JSON.stringify({ error: e.toJSON() }, null, 2));
  console.error(`failed: ${e.code}: ${e.message}`);
  process.exit(1);
}
