import { mkdir, rm } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { downloadsFor, outputKeys, posterKey, type TouchUpOutput, type TouchUpTask } from "../../../src/contract/index.ts";
import { sourceInputFlags } from "../containers.ts";
import { PipelineError } from "../errors.ts";
import { baseInputFlags } from "../ffmpeg/spawn.ts";
import { makeDownloads } from "../outputs/downloads.ts";
import { planVideo } from "../plan.ts";
import { classify, stepTimeoutMs } from "../pipeline/step.ts";
import type { OutputFile } from "../pipeline/types.ts";
import { videoLength } from "../pipeline/video.ts";
import { probe } from "../probe.ts";
import { makeThumbnail, thumbnailMark } from "../thumbnail.ts";
import { isMissing, StoreError } from "./s3-store.ts";
import type { SplitRun } from "./split-jobs.ts";

type Done = { result: { status: "touched-up"; attemptId: string; touchUpId: string; output: TouchUpOutput }; timings: Record<string, number> };

/**
 * A ready item's touch-up (src/machine/touch-up.ts): a new poster frame from the original (the
 * same rules as the first thumbnail: not black, square pixels, upright), and/or downloads
 * remuxed from the ready segments, fetched back from the bucket. Writes under the ready attempt's
 * keys only (a new poster key per touch-up: stills are cached as immutable), then says what it made.
 */
export async function runTouchUpJob(run: SplitRun, task: TouchUpTask): Promise<Done> {
  const { input, job, media, signal } = run;
  const started = Date.now();
  const timings: Record<string, number> = {};
  const at = (key: string) => join(job.outDir, key);
  const files: OutputFile[] = [];
  const output: TouchUpOutput = { thumbnail: null, downloads: null };
  try {
    if (task.thumbnailSeconds !== undefined) {
      let t = Date.now();
      const original = join(run.scratch, `original${extname(input.inputKey).slice(0, 10)}`);
      await media.download(input.inputKey, original, signal).catch((error: unknown) => {
        if (isMissing(error)) throw new PipelineError("INPUT_NOT_FOUND", "The original is no longer in the media bucket", false, { cause: error });
        throw error;
      });
      timings.download = Date.now() - t;
      t = Date.now();
      const info = await probe(original, { maxDurationSeconds: job.maxDurationSeconds, maxPixels: job.maxPixels, signal });
      if (!info.video) throw new PipelineError("NO_MEDIA_STREAMS", "The original has no picture to take a thumbnail from", false);
      const plan = planVideo(info, job.renditions, { interlaced: info.video.fieldOrder === "interlaced" });
      const key = posterKey(input, task.id);
      await mkdir(dirname(at(key)), { recursive: true });
      const length = videoLength(info);
      const shot = await makeThumbnail({
        input: original, output: at(key), atSeconds: thumbnailMark({ thumbnailSeconds: task.thumbnailSeconds }, length, plan.fps), plan, base: sourceInputFlags(info.demuxer), demuxer: info.demuxer,
        opts: { signal, timeoutMs: stepTimeoutMs(length) },
      });
      files.push({ bucket: "media", key, path: at(key) });
      output.thumbnail = { key, seconds: shot.atSeconds };
      await rm(original, { force: true });
      timings.thumbnail = Date.now() - t;
    }
    if (task.downloads) {
      const t = Date.now();
      const { hlsRoot } = outputKeys(input);
      const hlsDir = at(hlsRoot);
      const fetch = (path: string) => media.download(`${hlsRoot}/${path.slice(hlsDir.length + 1)}`, path, signal).then(() => {});
      // The playlists the downloads are made from; a video without sound has no audio playlist.
      const hasAudio = await fetchTo(fetch, join(hlsDir, "audio", "index.m3u8"));
      for (const name of downloadsFor(task.downloads, task.rungs, hasAudio)) {
        if (name.endsWith(".mp4") && !(await fetchTo(fetch, join(hlsDir, name.replace(".mp4", ""), "index.m3u8")))) {
          throw new PipelineError("INPUT_NOT_FOUND", `The ready item's ${name.replace(".mp4", "")} playlist is not in the bucket`, false);
        }
      }
      const made = await makeDownloads({
        request: task.downloads, hlsDir, rungs: task.rungs.map((name) => ({ name })), hasAudio, scope: input, at, base: baseInputFlags(),
        opts: { signal, timeoutMs: stepTimeoutMs(600) }, fetch,
      });
      files.push(...made.files);
      output.downloads = made.downloads;
      timings.downloads = Date.now() - t;
    }
    run.tracker.report("uploading", 0);
    await run.uploader.uploadAll(files);
    await run.sender.touchedUp(output);
    timings.total = Date.now() - started;
    return { result: { status: "touched-up", attemptId: input.attemptId, touchUpId: task.id, output }, timings };
  } catch (error) {
    throw classify("The touch-up", error, signal);
  }
}

/** Fetches one of the ready item's files to `path`; false when the bucket has none. */
async function fetchTo(fetch: (path: string) => Promise<void>, path: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  return fetch(path).then(
    () => true,
    (error: unknown) => {
      if (error instanceof StoreError && error.status === 404) return false;
      throw error;
    },
  );
}
