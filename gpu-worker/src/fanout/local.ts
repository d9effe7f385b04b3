import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PipelineError } from "../errors.ts";
import type { PipelineJob, PipelineResult } from "../pipeline/types.ts";
import type { Work } from "./cli.ts";
import type { FanoutPlan } from "./steps.ts";

const STEP_CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

export interface LocalFanoutOptions {
  split: Work["split"];
  /** Chunk processes at once (default: every chunk). The whole-file job runs beside them. */
  workers?: number;
  /**
   * CPU sets for `taskset -c`, so that one process stands for one machine: one per chunk worker
   * slot; the whole-file job on restCpus; the plan and the stitch on stepCpus.
   */
  cpuSets?: string[];
  restCpus?: string;
  stepCpus?: string;
  signal?: AbortSignal;
  /** Tries after the first for a chunk that fails retriably or whose process dies (FANOUT_CHUNK_RETRIES, default 2). */
  chunkRetries?: number;
  /** Told each step as it ends, with its wall seconds. */
  onStep?: (step: string, seconds: number) => void;
  /** Told of each chunk try that failed and is tried again. */
  onRetry?: (index: number, error: Error) => void;
  /** Told of each step's process as it starts (tests kill one mid-chunk with it). */
  onSpawn?: (step: string, child: ChildProcess) => void;
}

/**
 * A video split on this machine the way the service splits it across RunPod workers: the plan,
 * chunk, whole-file and stitch steps each in a process of its own (fanout/cli.ts), talking only
 * through the files they write. Same code, same outputs; only the transport differs.
 */
export async function runFanoutLocally(job: PipelineJob, o: LocalFanoutOptions): Promise<PipelineResult & { plan: FanoutPlan }> {
  const work = join(job.outDir, ".fanout", job.attemptId);
  await mkdir(work, { recursive: true });
  const { signal, onProgress, progress, log, onProbed, ...plain } = job;
  await writeFile(join(work, "work.json"), JSON.stringify({ job: plain, split: o.split } satisfies Work));
  const read = async <T>(name: string) => JSON.parse(await readFile(join(work, name), "utf8")) as T;
  const stop = new AbortController();
  const outer = o.signal ?? signal;
  outer?.addEventListener("abort", () => stop.abort(), { once: true });

  const run = async (step: string, args: string[] = [], cpus?: string) => {
    const name = step === "chunk" ? `chunk-${args[0]}` : step;
    // A try's failure report is its own: one left by the try before must not answer for it.
    await rm(join(work, `${name}.error.json`), { force: true });
    return new Promise<void>((resolve, reject) => {
      const started = Date.now();
      // tsx loads the TypeScript step (as `npm run transcode` does): the same from a test runner.
      const node = [process.execPath, "--import", "tsx", STEP_CLI, step, join(work, "work.json"), ...args];
      const [cmd, ...argv] = cpus ? ["taskset", "-c", cpus, ...node] : node;
      const child = spawn(cmd!, argv, { stdio: ["ignore", "ignore", "pipe"], signal: stop.signal, killSignal: "SIGTERM" });
      o.onSpawn?.(name, child);
      let stderr = "";
      child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
      child.on("error", (e) => {
        if (e.name !== "AbortError") reject(e);
      });
      child.on("close", async (code) => {
        if (code === 0) {
          o.onStep?.(name, (Date.now() - started) / 1000);
          return resolve();
        }
        if (stop.signal.aborted) return reject(new PipelineError("CANCELLED", "The job was stopped", true));
        const failed = await read<{ error: { code: PipelineError["code"]; message: string; retriable: boolean } }>(`${name}.error.json`).catch(() => null);
        // A process that died without saying why (killed, out of memory) is a worker lost: retriable.
        reject(failed ? new PipelineError(failed.error.code, failed.error.message, failed.error.retriable) : new PipelineError("INTERNAL", `${name} exited ${code ?? child.signalCode}: ${stderr.trim().slice(-500)}`, true));
      });
    });
  };

  const steps = async () => {
    await run("plan", [], o.stepCpus);
    const plan = await read<FanoutPlan>("plan.json");
    const queue = [...plan.chunks.chunks];
    const slots = Math.max(1, Math.min(o.workers ?? queue.length, queue.length));
    const retries = o.chunkRetries ?? 2;
    // A chunk that fails retriably runs again, that chunk only; anything else ends the whole job.
    const chunk = async (index: number, cpus: string | undefined) => {
      for (let tried = 0; ; tried++) {
        try {
          return await run("chunk", [String(index)], cpus);
        } catch (error) {
          if (stop.signal.aborted || !(error instanceof PipelineError) || !error.retriable || tried >= retries) throw error;
          o.onRetry?.(index, error);
        }
      }
    };
    const worker = async (slot: number) => {
      for (let span = queue.shift(); span; span = queue.shift()) await chunk(span.index, o.cpuSets?.length ? o.cpuSets[slot % o.cpuSets.length] : undefined);
    };
    try {
      await Promise.all([...Array.from({ length: slots }, (_, i) => worker(i)), run("rest", [], o.restCpus)]);
    } catch (error) {
      // The first step to fail for good stops every other (as the item's object cancels a fan-out's jobs).
      stop.abort();
      throw error;
    }
    await run("stitch", [], o.stepCpus);
    const result = await read<PipelineResult>("stitch.json");
    return { ...result, plan };
  };
  try {
    return await steps();
  } finally {
    // Scratch of every step, whatever happened: the chunks' rungs, tiles and mezzanine parts, the steps' files.
    for (const scratch of [".chunks", ".storyboard", ".mezzanine"]) await rm(join(job.outDir, scratch, job.attemptId), { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}
