/**
 * bench/audio: a 60-minute stereo input to every audio output (HLS, preview, waveform data and
 * image, loudness). Prints the wall time against the single-decode floor measured in the same run,
 * and the speed-up of the chunked job (one chunk per core, as on RunPod) over the same job in one
 * process (cores: 1), on the same input in the same run. The AAC encoder stays FFmpeg's default
 * (twoloop): quality first, as the owner decided; what must hold is that the job scales with cores.
 *   npm run bench:audio   (BENCH_MINUTES=10 for a quicker look)
 *   BENCH_AUDIO=peaky npm run bench:audio   quiet speech-like audio with loud blips, which is
 *                                           normalised dynamically (loudnorm) instead of by a gain
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setCommandLogger } from "../gpu-worker/src/ffmpeg/spawn.ts";
import { availableParallelism } from "node:os";
import { chunksFor } from "../gpu-worker/src/audio-args.ts";
import { DEFAULTS, runPipeline } from "../gpu-worker/src/pipeline.ts";
import { probe } from "../gpu-worker/src/probe.ts";
import { cached, cpuInfo, ffmpeg, fresh, OUT, time } from "./lib.ts";

const MINUTES = Number(process.env.BENCH_MINUTES ?? 60);
const PEAKY = process.env.BENCH_AUDIO === "peaky";
setCommandLogger(() => {});
const seconds = MINUTES * 60;
const input = PEAKY
  ? cached(`audio-peaky-${MINUTES}min.m4a`, (p) =>
      ffmpeg([
        // −30 LUFS of tone and noise, a 10 ms blip near full scale every 7 s.
        "-f", "lavfi", "-i", `aevalsrc=0.02*sin(2*PI*220*t)+0.02*(random(0)*2-1)+if(lt(mod(t\\,7)\\,0.01)\\,0.9*sin(2*PI*1000*t)\\,0):s=48000:d=${seconds}`,
        "-af", "aformat=channel_layouts=stereo",
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "160k", p,
      ]),
    )
  : cached(`audio-${MINUTES}min.m4a`, (p) =>
      ffmpeg([
        "-f", "lavfi", "-i", `sine=f=220:r=48000:d=${seconds}`,
        "-f", "lavfi", "-i", `anoisesrc=d=${seconds}:r=48000:a=0.05`,
        "-filter_complex", "[0][1]amix=inputs=2,volume=0.5,aformat=channel_layouts=stereo",
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "160k", p,
      ]),
    );
console.log(`bench/audio: ${MINUTES} min stereo${PEAKY ? " (peaky: dynamic normalisation)" : ""} on ${cpuInfo()}`);
const floor = await time(() => ffmpeg(["-i", input, "-f", "null", "-"]));
const job = (cores: number) => {
  const dir = fresh(join(OUT, `audio-pipeline-${cores}`));
  return time(() =>
    runPipeline({ input, outDir: dir, creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID(), mediaType: "audio", ...DEFAULTS, encoder: "x264", archive: true, cores }),
  );
};
const cores = availableParallelism();
const info = await probe(input, { maxDurationSeconds: DEFAULTS.maxDurationSeconds });
const chunks = chunksFor({ formatName: info.formatName, durationSeconds: info.durationSeconds, cores }).length;
const run = await job(cores);
const single = await job(1);
console.log(`  decode only (floor): ${floor.seconds.toFixed(1)} s`);
console.log(`  chunked job (${chunks} chunks on ${cores} cores): ${run.seconds.toFixed(1)} s  steps ${JSON.stringify(run.value.timings)}`);
console.log(`  one process (baseline, same input): ${single.seconds.toFixed(1)} s  steps ${JSON.stringify(single.value.timings)}`);
console.log(`  speed-up of the chunked job over one process: ${(single.seconds / run.seconds).toFixed(2)}× on ${cores} cores`);
console.log(`  ratio to the decode floor: ${(run.seconds / floor.seconds).toFixed(1)}×, realtime factor ${(seconds / run.seconds).toFixed(0)}×`);
