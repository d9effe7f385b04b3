import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { call, tokenFor, upload, waitFor } from "../dev/client.ts";
import { startStack } from "../dev/stack.ts";

export interface StackRun {
  /** Trigger → ready, as the platform sees it (the status endpoint). */
  seconds: number;
  /** Trigger → playable (the item's own clock: playableAt − startedAt), and when the first job started (RunPod took it). */
  playableSeconds: number | null;
  jobStartedSeconds: number | null;
  chunks: number | null;
  encodeSeconds: (number | null)[];
  jobs: number;
}

/**
 * One upload through the whole local stack (wrangler dev with the item's Durable Object, the
 * RunPod stand-in, s3rver, PGlite) with `cpuSets.length` GPU worker processes, each pinned to its
 * own CPU set: time from the trigger to `ready`. With one worker the item is one job (fan-out
 * needs more than one); with more, a video of `minSeconds` or more is split in `chunkSeconds`.
 */
export async function stackTimeToReady(input: string, cpuSets: string[], o: { chunkSeconds: number; minSeconds?: number }): Promise<StackRun> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-fanout-"));
  const stack = await startStack({ dataDir, workers: cpuSets.length, workerCpus: cpuSets, fanout: { chunkSeconds: o.chunkSeconds, minSeconds: o.minSeconds }, logLevel: "warn" });
  try {
    const token = await tokenFor(stack.secrets.JWT_SECRET!, randomUUID(), "creator");
    const id = await upload(stack.url, token, input);
    const t0 = Date.now();
    await call(stack.url, "POST", `/api/media/${id}/transcode`, token);
    const final = await waitFor(stack.url, token, id, (s) => s.status === "ready" || s.status === "failed", { timeoutMs: 60 * 60_000, intervalMs: 250 });
    const seconds = (Date.now() - t0) / 1000;
    if (final.status !== "ready") throw new Error(`the item failed: ${JSON.stringify(final.error)}`);
    const mine = [...stack.runpod.jobs.values()].filter((j) => (j.input as { mediaId?: string }).mediaId === id);
    const started = Date.parse(final.startedAt);
    const firstJob = mine.map((j) => j.startedAt).filter((t): t is number => t !== null).sort((a, b) => a - b)[0] ?? null;
    return {
      seconds,
      playableSeconds: final.playableAt ? (Date.parse(final.playableAt) - started) / 1000 : null,
      jobStartedSeconds: firstJob === null ? null : (firstJob - started) / 1000,
      chunks: final.chunks?.count ?? null,
      encodeSeconds: final.chunks?.encodeSeconds ?? [],
      jobs: mine.length,
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
