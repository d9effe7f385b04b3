/**
 * bench/video: the whole video job (ladder, preview, thumbnail, loudness, mezzanine) on one 60 s
 * 1080p30 input, through the pipeline and through a baseline that runs one FFmpeg process per
 * output, in the same run. Prints wall times, the ratio, the realtime factor and SSIM per rung.
 *   npm run bench:video   (BENCH_SECONDS=20 for a quicker look)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setCommandLogger } from "../gpu-worker/src/ffmpeg/spawn.ts";
import { DEFAULTS, runPipeline } from "../gpu-worker/src/pipeline.ts";
import { outputKeys, playlistSegments } from "../src/contract/index.ts";
import { probe } from "../gpu-worker/src/probe.ts";
import { planVideo, previewRung } from "../gpu-worker/src/plan.ts";
import { x264 } from "../gpu-worker/src/encoders/x264.ts";
import { cached, cpuInfo, ffmpeg, fresh, OUT, ssim, time } from "./lib.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
setCommandLogger(() => {});

const input = cached(`video-${SECONDS}s-1080p30.mp4`, (p) =>
  ffmpeg([
    "-f", "lavfi", "-i", `testsrc2=s=1920x1080:r=30:d=${SECONDS}`,
    "-f", "lavfi", "-i", `sine=f=330:r=48000:d=${SECONDS}`,
    "-vf", "noise=alls=6:allf=t",
    "-c:v", "libx264", "-preset", "fast", "-b:v", "8M", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "192k", "-shortest", p,
  ]),
);
console.log(`bench/video: ${SECONDS} s of 1080p30 on ${cpuInfo()}`);

/** One FFmpeg process per output, as a straightforward implementation would do it. */
async function baseline(dir: string) {
  const info = await probe(input, { maxDurationSeconds: 1e9 });
  const plan = planVideo(info, DEFAULTS.renditions);
  const hls = (d: string) => ["-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_filename", `${d}/seg_%05d.ts`, `${d}/index.m3u8`];
  for (const rung of plan.rungs) {
    const d = fresh(join(dir, rung.name));
    ffmpeg(["-i", input, "-vf", `scale=${rung.width}:${rung.height}`, ...x264.encodeArgs(rung, plan), "-c:a", "aac", "-b:a", "128k", "-ar", "48000", ...hls(d)]);
  }
  const pre = previewRung(plan);
  const pd = fresh(join(dir, "preview"));
  ffmpeg(["-i", input, "-t", "30", "-vf", `scale=${pre.width}:${pre.height}`, ...x264.encodeArgs(pre, plan), "-c:a", "aac", "-b:a", "128k", ...hls(pd)]);
  ffmpeg(["-ss", String(info.durationSeconds * 0.1), "-i", input, "-frames:v", "1", "-q:v", "3", join(dir, "thumb.jpg")]);
  ffmpeg(["-i", input, "-map", "0:a:0", "-af", "loudnorm=print_format=json", "-f", "null", "-"]);
  ffmpeg(["-i", input, "-c", "copy", "-movflags", "+faststart", join(dir, "mezzanine.mp4")]);
  return plan;
}

const baseDir = fresh(join(OUT, "video-baseline"));
const b = await time(() => baseline(baseDir));
const pipeDir = fresh(join(OUT, "video-pipeline"));
// Time-to-playable as the worker's publisher sees it: every playlist the encode writes has its first segment.
let playableAt: number | null = null;
let watcher: NodeJS.Timeout | null = null;
const pipelineStart = Date.now();
const scope = { creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID() };
const p = await time(() =>
  runPipeline({
    input, outDir: pipeDir, ...scope, mediaType: "video", ...DEFAULTS, encoder: "x264", archive: true,
    onEncodeStart: (shape) => {
      const hls = join(pipeDir, outputKeys(scope).hlsRoot);
      watcher = setInterval(() => {
        const begun = shape.playlists.every((uri) => playlistSegments(readIfThere(join(hls, uri))).length > 0);
        if (begun && playableAt === null) playableAt = Date.now();
      }, 100);
    },
  }),
);
if (watcher) clearInterval(watcher);

const hlsDir = join(pipeDir, p.value.output.hlsMasterKey.replace(/\/master\.m3u8$/, ""));
const rows = b.value.rungs.map((r) => ({ rung: r.name, ssim: ssim(join(hlsDir, r.name, "index.m3u8"), input, r.width, r.height) }));

console.log(`  baseline (one process per output): ${b.seconds.toFixed(1)} s`);
console.log(`  pipeline (one process, one decode): ${p.seconds.toFixed(1)} s  steps ${JSON.stringify(p.value.timings)}`);
console.log(`  speed-up vs baseline: ${(b.seconds / p.seconds).toFixed(2)}×   (target ≥ 1.5×)`);
const playableSeconds = playableAt === null ? null : (playableAt - pipelineStart) / 1000;
console.log(`  time-to-playable: ${playableSeconds === null ? "never before the end" : `${playableSeconds.toFixed(1)} s`} (every playlist's first segment on disk; a worker adds its upload and callback, ~0.5 s) · time-to-ready ${p.seconds.toFixed(1)} s   (target ≤ 15 s + one segment window = ${(15 + DEFAULTS.segmentSeconds / (SECONDS / p.seconds)).toFixed(1)} s)`);
console.log(`  realtime factor: ${(SECONDS / p.seconds).toFixed(2)}×   (target ≥ 1× with libx264)`);
for (const r of rows) console.log(`  SSIM ${r.rung.padEnd(5)} ${r.ssim.toFixed(4)}   (target ≥ 0.95)`);

function readIfThere(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
