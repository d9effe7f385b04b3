/**
 * Runs tasks side by side (one FFmpeg process per chunk): the first failure stops the others, so
 * no process outlives the step, and that first failure is what the step reports. A stop from the
 * caller's signal reaches every task.
 */
export async function together<T>(signal: AbortSignal | undefined, tasks: ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  // The failures that came before the stop: the first is the cause.
  const causes: unknown[] = [];
  try {
    const results = await Promise.allSettled(
      tasks.map((task) =>
        task(stop.signal).catch((error: unknown) => {
          if (!stop.signal.aborted) causes.push(error);
          stop.abort();
          throw error;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw causes.length ? causes[0] : failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
