import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pipeline as pipeStreams } from "node:stream/promises";
import { analyseAudio } from "../audio-analysis.ts";
import { audioChunkArgs, audioHlsArgs, audioPackageArgs, chunksFor, WAVEFORM_IMAGE, WAVEFORM_SAMPLE_RATE, type AudioChunk } from "../audio-args.ts";
import { runTool } from "../ffmpeg/spawn.ts";
import { together } from "../ffmpeg/together.ts";
import { normalisationFilter, normalisationTarget } from "../loudness.ts";
import { audioMaster, playlistStats } from "../outputs/master.ts";
import { playableAudioMaster } from "../outputs/playable-master.ts";
import { samplesPerPixel, WaveformBuilder } from "../outputs/waveform.ts";
import { waveformPng } from "../outputs/waveform-png.ts";
import { progressParser } from "../progress.ts";
import { step } from "./step.ts";
import type { MediaParts, PipelineJob, StepContext } from "./types.ts";

/** The audio half: one analysis (loudness and waveform), the normalised encode (chunked over the cores when long), the waveform files and master. */
export async function runAudio(ctx: StepContext): Promise<MediaParts> {
  const { job, info, keys, at, hlsDir, base, source, opts, timings, progress, files } = ctx;
  const png = at(keys.waveformImage);
  await mkdir(dirname(png), { recursive: true });
  const spp = samplesPerPixel(WAVEFORM_SAMPLE_RATE, info.durationSeconds);
  const waveform = new WaveformBuilder(WAVEFORM_SAMPLE_RATE, spp);
  const chunks = chunksFor({
    formatName: info.formatName,
    durationSeconds: info.durationSeconds,
    cores: job.cores ?? availableParallelism(),
    minChunkSeconds: job.audioChunkMinSeconds,
  });
  const loudness = await step(timings, "audio analysis", () =>
    analyseAudio({
      input: job.input,
      chunks,
      sampleRate: info.audio!.sampleRate,
      waveform,
      workDir: join(job.outDir, ".analysis", job.attemptId),
      base: source,
      stream: info.audio!.stream,
      opts,
    }),
  );
  progress.report("encoding", 0.3);
  const normalise = normalisationFilter(loudness, normalisationTarget(job));
  const report = (f: number) => progress.report("encoding", 0.3 + 0.7 * f);
  if (chunks.length === 1) {
    // One process writes the playlist as it goes: playable from its first segment. (A long file
    // encoded in chunks is packaged at the end, so it becomes playable with `ready`.)
    job.onEncodeStart?.({ playlists: ["audio/index.m3u8"], master: playableAudioMaster("audio/index.m3u8"), lengthSeconds: info.durationSeconds });
    await step(timings, "audio-hls", () =>
      runTool(
        "ffmpeg",
        audioHlsArgs({ input: job.input, hlsDir, gainFilter: normalise.filter, segmentSeconds: job.segmentSeconds, previewSeconds: job.previewSeconds, base: source, stream: info.audio!.stream }),
        { ...opts, onStdout: progressParser(info.durationSeconds, report) },
      ),
    );
  } else {
    await step(timings, "audio-hls", () => encodeAudioInChunks({ job, hlsDir, chunks, gain: normalise, durationSeconds: info.durationSeconds, base, source, stream: info.audio!.stream, opts, report }));
  }
  progress.report("packaging", 0);
  const waveformData = waveform.finish();
  await writeFile(png, waveformPng(waveformData, WAVEFORM_IMAGE.width, WAVEFORM_IMAGE.height));
  const waveformPath = at(keys.waveform);
  await mkdir(dirname(waveformPath), { recursive: true });
  await writeFile(waveformPath, JSON.stringify(waveformData));
  const stats = await playlistStats(join(hlsDir, "audio/index.m3u8"));
  await writeFile(join(hlsDir, "master.m3u8"), audioMaster({ uri: "audio/index.m3u8", stats }));
  files.push({ bucket: "media", key: keys.waveform, path: waveformPath }, { bucket: "media", key: keys.waveformImage, path: png });
  return { durationSeconds: info.durationSeconds, width: null, height: null, readyVariants: ["audio"], loudness, encoder: null, thumbnailSeconds: null, subtitles: [] };

}

/**
 * A long audio encode split over the cores: each chunk to raw AAC in parallel, the chunks joined
 * in order, then packaged into HLS by stream copy (see audioChunkArgs for the joins).
 */
async function encodeAudioInChunks(a: {
  job: PipelineJob;
  hlsDir: string;
  chunks: AudioChunk[];
  gain: ReturnType<typeof normalisationFilter>;
  durationSeconds: number;
  /** Flags for our own files (the joined AAC), and for the original (its demuxer forced). */
  base: string[];
  source: string[];
  stream: string;
  opts: { signal?: AbortSignal; timeoutMs: number };
  report: (fraction: number) => void;
}): Promise<void> {
  const work = join(a.job.outDir, ".audio-chunks", a.job.attemptId);
  await mkdir(work, { recursive: true });
  try {
    const parts = a.chunks.map((_, i) => join(work, `part-${i}.aac`));
    const done = a.chunks.map(() => 0);
    const seconds = a.chunks.map((c) => c.length ?? a.durationSeconds - c.start);
    await together(
      a.opts.signal,
      a.chunks.map((chunk, i) => (signal: AbortSignal) =>
        runTool("ffmpeg", audioChunkArgs({ input: a.job.input, output: parts[i]!, chunk, gainFilter: a.gain.filter, gainMode: a.gain.mode, base: a.source, stream: a.stream }), {
          ...a.opts,
          signal,
          onStdout: progressParser(seconds[i]!, (f) => {
            done[i] = f * seconds[i]!;
            a.report(done.reduce((x, y) => x + y, 0) / a.durationSeconds);
          }),
        }),
      ),
    );
    // ADTS frames are self-contained: the joined file is one continuous AAC stream.
    const joined = join(work, "joined.aac");
    const out = createWriteStream(joined);
    for (const part of parts) await pipeStreams(createReadStream(part), out, { end: false });
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await runTool("ffmpeg", audioPackageArgs({ adts: joined, hlsDir: a.hlsDir, segmentSeconds: a.job.segmentSeconds, previewSeconds: a.job.previewSeconds, base: a.base }), a.opts);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

