import { backoffMs } from "../../../src/contract/index.ts";

/** The curve is the contract's, shared with the control plane. */
export { backoffMs };

/** Retries `fn` with exponential backoff and jitter while `retriable(error)` says so. */
export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs?: number;
  signal?: AbortSignal;
  retriable?: (error: unknown) => boolean;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}


export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      last = error;
      if (opts.signal?.aborted || attempt === opts.attempts || (opts.retriable && !opts.retriable(error))) throw error;
      const ceiling = backoffMs(attempt, opts.baseMs, opts.maxMs);
      // Full jitter: many workers retrying against one recovering store do not line up.
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2), opts.signal);
    }
  }
  throw last;
}

/** Runs `tasks` with at most `limit` in flight; the first failure rejects (the rest still settle). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const lane = async () => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed !== null) throw failed;
  return results;
}
