/**
 * One step of a fanned-out video in its own process (what one RunPod job does in production):
 *   tsx gpu-worker/src/fanout/cli.ts plan|rest|stitch <work.json>
 *   tsx gpu-worker/src/fanout/cli.ts chunk <work.json> <index>
 * `work.json` holds the job and how to split it; each step reads what the steps before it wrote
 * beside it (plan.json, chunk-<i>.json, rest.json) and writes its own. A failure writes
 * <step>.error.json with the classified error and exits 1. The orchestrating CLI is ../cli.ts.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setCommandLogger } from "../ffmpeg/spawn.ts";
import { classify } from "../pipeline/step.ts";
import type { PipelineJob } from "../pipeline/types.ts";
import { chunkTaskOf, planFanout, runChunk, runRest, stitchFanout, type ChunkResult, type FanoutPlan, type RestResult } from "./steps.ts";

export interface Work {
  job: PipelineJob;
  split: { chunks?: number; chunkSeconds?: number };
}

const [stepName, workPath, indexArg] = process.argv.slice(2);
if (!stepName || !workPath || !["plan", "chunk", "rest", "stitch"].includes(stepName) || (stepName === "chunk" && !/^\d+$/.test(indexArg ?? ""))) {
  console.error("usage: fanout/cli.ts plan|rest|stitch <work.json> | chunk <work.json> <index>");
  process.exit(2);
}
if (!process.env.TX_VERBOSE) setCommandLogger(() => {});
const dir = dirname(workPath);
const read = async <T>(name: string): Promise<T> => JSON.parse(await readFile(join(dir, name), "utf8")) as T;
const write = (name: string, value: unknown) => writeFile(join(dir, name), JSON.stringify(value, null, 2));

const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
process.on("SIGINT", () => controller.abort());
const work = await read<Work>("work.json");
const job: PipelineJob = { ...work.job, signal: controller.signal };
const label = stepName === "chunk" ? `chunk-${indexArg}` : stepName;
try {
  if (stepName === "plan") await write("plan.json", await planFanout(job, work.split));
  else {
    const plan = await read<FanoutPlan>("plan.json");
    // The chunk is told what a RunPod chunk job is told, checked by the contract.
    if (stepName === "chunk") await write(`${label}.json`, await runChunk(job, chunkTaskOf(plan, Number(indexArg))));
    else if (stepName === "rest") await write("rest.json", await runRest(job, plan));
    else {
      const chunks = await Promise.all(plan.chunks.chunks.map((c) => read<ChunkResult>(`chunk-${c.index}.json`)));
      const result = await stitchFanout(job, plan, await read<RestResult>("rest.json"), chunks);
      await write("stitch.json", result);
    }
  }
} catch (error) {
  const e = classify(label, error, controller.signal);
  await write(`${label}.error.json`, { error: e.toJSON() });
  console.error(`${label} failed: ${e.code}: ${e.message}`);
  process.exit(1);
}
