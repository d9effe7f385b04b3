import { stat } from "node:fs/promises";
import { PipelineError } from "../errors.ts";
import { memoryLimit, OUT_OF_MEMORY, ToolFailed } from "../ffmpeg/spawn.ts";

/** Wall-clock limit for one FFmpeg step: generous for slow CPUs, finite for a hung process. */
export function stepTimeoutMs(durationSeconds: number): number {
  return Math.max(10 * 60_000, durationSeconds * 8 * 1000);
}

/** What a named step threw, unclassified: the job's edge classifies it once, knowing the job's signal. */
export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly failure: unknown,
  ) {
    super(`${step} failed`, { cause: failure });
    this.name = "StepFailed";
  }
}

/**
 * The one classifier of pipeline failures, run once per failure at the job's edge (runPipeline,
 * the RunPod handler, the CLI): what any step threw, as the contract's code. A stop (the job's
 * signal, an AbortError from a transfer or a killed FFmpeg) is CANCELLED here and only here.
 */
export function classify(fallbackStep: string, thrown: unknown, signal?: AbortSignal): PipelineError {
  const [step, error] = thrown instanceof StepFailed ? [thrown.step, thrown.failure] : [fallbackStep, thrown];
  if (error instanceof PipelineError) return error;
  if (signal?.aborted || (error as Error)?.name === "AbortError" || (error instanceof ToolFailed && error.reason === "aborted")) {
    return new PipelineError("CANCELLED", "The job was stopped", true, { cause: error });
  }
  if (error instanceof ToolFailed) {
    if (error.reason === "timeout") return new PipelineError("TIMED_OUT", `${step} took longer than its limit`, true, { cause: error });
    const limit = memoryLimit();
    if (limit && error.reason === "exit" && OUT_OF_MEMORY.test(error.stderrTail)) {
      const figure = ` (the limit is ${Math.round(limit / 2 ** 20)} MiB per FFmpeg process)`;
      return new PipelineError("INPUT_TOO_LARGE", `${step} ran out of memory${figure}: the file needs more than a job may take`, false, { cause: error });
    }
    if (/Invalid data found|corrupt|moov atom not found|Error while decoding/i.test(error.stderrTail)) {
      return new PipelineError("INPUT_UNREADABLE", `The file is damaged: ${step} could not decode it (${error.message})`, false, { cause: error });
    }
    return new PipelineError("ENCODE_FAILED", `${step} failed: ${error.message}`, true, { cause: error });
  }
  return new PipelineError("INTERNAL", `${step} failed: ${(error as Error)?.message ?? String(error)}`, true, { cause: error });
}

/** Runs one named step, timing it; a failure leaves with the step's name, for `classify` at the job's edge. */
export async function step<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await fn();
  } catch (error) {
    throw error instanceof PipelineError || error instanceof StepFailed ? error : new StepFailed(name, error);
  } finally {
    timings[name] = Date.now() - t;
  }
}

export async function nonEmpty(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s || s.size === 0) throw new PipelineError("ENCODE_FAILED", `FFmpeg finished but wrote no ${what}`, true);
}
