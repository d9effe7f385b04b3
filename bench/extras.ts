/**
 * What issue 23's extras cost in worker time, on the bench's 60 s 1080p30 source (one job, libx264):
 *   npm run bench:extras
 * - MP4 downloads: the same job without and with every rung's MP4 and the M4A, in this run; the
 *   downloads step's seconds, and its share of the job (a remux of the finished segments).
 * - A 10 s clip (20–30 s): the frame-accurate cut, then the clip's own transcode.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { cutClip } from "../gpu-worker/src/clip.ts";
import { setCommandLogger } from "../gpu-worker/src/ffmpeg/spawn.ts";
import { DEFAULTS, runPipeline, type PipelineJob } from "../gpu-worker/src/pipeline.ts";
import { cached, cpuInfo, ffmpeg, time } from "./lib.ts";

setCommandLogger(() => {});
const input = cached("video-60s-1080p30.mp4", (p) =>
  ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=60",
    "-f", "lavfi", "-i", "sine=f=330:r=48000:d=60",
    "-vf", "noise=alls=6:allf=t",
    "-c:v", "libx264", "-preset", "fast", "-b:v", "8M", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "192k", "-shortest", p,
  ]),
);
const job = (inp: string, extra: Partial<PipelineJob> = {}): PipelineJob => ({
  input: inp, outDir: mkdtempSync(join(tmpdir(), "bench-extras-")), creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID(),
  mediaType: "video", ...DEFAULTS, encoder: "x264", archive: false, ...extra,
});
console.log(`bench/extras: 60 s of 1080p30 on ${cpuInfo()}, one job, libx264`);

const plain = await time(() => runPipeline(job(input)));
const all = await time(() => runPipeline(job(input, { downloads: { mp4: "all", audio: true } })));
const highest = await time(() => runPipeline(job(input, { downloads: { mp4: "highest", audio: false } })));
const step = (r: typeof all) => (r.value.timings.downloads ?? 0) / 1000;
console.log(`  job without downloads ${plain.seconds.toFixed(1)} s; with every MP4 + M4A ${all.seconds.toFixed(1)} s, of it the downloads step ${step(all).toFixed(2)} s (${((100 * step(all)) / all.seconds).toFixed(1)} %)`);
console.log(`    ${all.value.output.downloads.map((d) => `${d.name} ${(d.bytes / 1e6).toFixed(1)} MB`).join(", ")}`);
console.log(`  with the highest MP4 only: the downloads step ${step(highest).toFixed(2)} s`);

const cut = join(mkdtempSync(join(tmpdir(), "bench-clip-")), "clip.mkv");
const cutting = await time(() => cutClip({ source: input, output: cut, startSeconds: 20, endSeconds: 30, maxDurationSeconds: 3600, opts: {} }));
const clip = await time(() => runPipeline(job(cut)));
console.log(`  10 s clip (20–30 s): cut ${cutting.seconds.toFixed(1)} s + transcode ${clip.seconds.toFixed(1)} s = ${(cutting.seconds + clip.seconds).toFixed(1)} s of worker time (clip ${clip.value.output.durationSeconds} s)`);
