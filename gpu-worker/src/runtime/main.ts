/**
 * The GPU worker's entry point on RunPod (and under the local stand-in): take a job, run it,
 * report it, take the next. `node --import tsx gpu-worker/src/runtime/main.ts`
 */
import { mkdir, rm } from "node:fs/promises";
import { killAllChildren, memoryLimit, setCommandLogger, setMemoryLimit } from "../ffmpeg/spawn.ts";
import { handlerDepsFrom } from "./config.ts";
import { doneBody, handleJob } from "./job-handler.ts";
import { RunpodWorker, workerEnvFrom } from "./runpod-worker.ts";

const log = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ t: new Date().toISOString(), event, ...fields }) + "\n");
setCommandLogger((line) => log("ffmpeg.command", { line }));

try {
  const deps = handlerDepsFrom(process.env, log);
  const env = workerEnvFrom(process.env);
  setMemoryLimit(deps.memoryLimitBytes ?? null);
  // A crash or a kill leaves scratch behind: start every container clean.
  await rm(deps.scratchRoot, { recursive: true, force: true });
  await mkdir(deps.scratchRoot, { recursive: true });
  const worker = new RunpodWorker(env, async (job, ctx) => doneBody(await handleJob(job, deps, ctx)), { log });
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      killAllChildren();
      process.exit(1);
    }
    void worker.shutdown(signal).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("exit", () => killAllChildren());
  log("worker.started", { podId: env.podId, encoder: deps.encoder, archive: deps.archive !== null, ffmpegMemoryLimitBytes: memoryLimit() });
  await worker.start();
} catch (error) {
  log("worker.fatal", { error: (error as Error).message });
  process.exit(1);
}
