import { spawn } from "node:child_process";
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
  /** CPU sets for `taskset -c`, one per worker slot (chunk k runs on cpuSets[k % n]); the rest job on restCpus. */
  cpuSets?: string[];
  restCpus?: string;
  signal?: AbortSignal;
  /** Told each step as it ends, with its wall seconds. */
  onStep?: (step: string, seconds: number) => void;
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
  // The first step to fail stops every other (as the item's object cancels a fan-out's jobs).
  const stop = new AbortController();
  const outer = o.signal ?? signal;
  outer?.addEventListener("abort", () => stop.abort(), { once: true });

  const run = (step: string, args: string[] = [], cpus?: string) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      // tsx loads the TypeScript step (as `npm run transcode` does): the same from a test runner.
      const node = [process.execPath, "--import", "tsx", STEP_CLI, step, join(work, "work.json"), ...args];
      const [cmd, ...argv] = cpus ? ["taskset", "-c", cpus, ...node] : node;
      const child = spawn(cmd!, argv, { stdio: ["ignore", "ignore", "pipe"], signal: stop.signal, killSignal: "SIGTERM" });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
      child.on("error", (e) => {
        if (e.name !== "AbortError") reject(e);
      });
      child.on("close", async (code) => {
        const name = step === "chunk" ? `chunk-${args[0]}` : step;
        if (code === 0) {
          o.onStep?.(name, (Date.now() - started) / 1000);
          return resolve();
        }
        if (stop.signal.aborted) return reject(new PipelineError("CANCELLED", "The job was stopped", true));
        stop.abort();
        const failed = await read<{ error: { code: PipelineError["code"]; message: string; retriable: boolean } }>(`${name}.error.json`).catch(() => null);
        reject(failed ? new PipelineError(failed.error.code, failed.error.message, failed.error.retriable) : new Error(`${name} exited ${code}: ${stderr.trim()}`));
      });
    });

  await run("plan");
  const plan = await read<FanoutPlan>("plan.json");
  const queue = [...plan.chunks.chunks];
  const slots = Math.max(1, Math.min(o.workers ?? queue.length, queue.length));
  const worker = async (slot: number) => {
    for (let span = queue.shift(); span; span = queue.shift()) {
      await run("chunk", [String(span.index)], o.cpuSets?.length ? o.cpuSets[slot % o.cpuSets.length] : undefined);
    }
  };
  await Promise.all([...Array.from({ length: slots }, (_, i) => worker(i)), run("rest", [], o.restCpus)]);
  await run("stitch");
  const result = await read<PipelineResult>("stitch.json");
  await rm(work, { recursive: true, force: true });
  return { ...result, plan };
}
