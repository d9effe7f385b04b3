import { open } from "node:fs/promises";
import { join } from "node:path";
import { SNIFF_BYTES, sniffRejection, type IngestTask } from "../../../src/contract/index.ts";
import { PipelineError } from "../errors.ts";
import { fetchUrlToFile } from "../ingest/fetch-url.ts";
import { classify } from "../pipeline/step.ts";
import type { SplitRun } from "./split-jobs.ts";

type Done = { result: { status: "ingested"; attemptId: string; ingestId: string; bytes: number }; timings: Record<string, number> };

/** The whole copy's time: generous for a large file at a slow origin, bounded all the same. */
export const INGEST_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * Ingest from a URL (src/contract/ingest.ts): the URL copied to scratch under the SSRF rules
 * (../ingest/fetch-url.ts), its first bytes checked as an upload's are (a playlist or a picture is
 * refused here, with the same words), then stored at the item's original key, and the control
 * plane told; it completes the item's upload with its own checks.
 */
export async function runIngestJob(run: SplitRun, task: IngestTask, allow: readonly string[], timeoutMs = INGEST_TIMEOUT_MS): Promise<Done> {
  const started = Date.now();
  const path = join(run.scratch, "ingested");
  try {
    run.tracker.report("downloading", 0);
    const copy = await fetchUrlToFile(task.url, path, {
      allow, maxBytes: task.maxBytes, timeoutMs, signal: run.signal,
      onProgress: (bytes, total) => {
        run.sender.setIngestBytes(bytes, total);
        run.tracker.report("downloading", total ? Math.min(0.99, bytes / total) : 0);
      },
    });
    const head = Buffer.alloc(SNIFF_BYTES);
    const file = await open(path, "r");
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0).finally(() => file.close());
    const rejected = copy.bytes === 0 ? "The URL answered an empty file" : sniffRejection(head.subarray(0, bytesRead), run.input.mediaType);
    if (rejected) throw new PipelineError("INPUT_UNREADABLE", rejected, false);
    const fetchedMs = Date.now() - started;
    run.tracker.report("uploading", 0);
    await run.media.upload(run.input.inputKey, path, run.signal);
    run.sender.setIngestBytes(copy.bytes, copy.bytes);
    await run.sender.ingested(copy.bytes);
    run.log("job.ingested", { bytes: copy.bytes, fetchedMs, host: new URL(copy.finalUrl).host });
    return { result: { status: "ingested", attemptId: run.input.attemptId, ingestId: task.id, bytes: copy.bytes }, timings: { fetch: fetchedMs, total: Date.now() - started } };
  } catch (error) {
    throw classify("The ingest", error, run.signal);
  }
}
