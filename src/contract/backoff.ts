/**
 * The one backoff curve of both halves: baseMs doubling per failed attempt (1, 2, …), capped at
 * maxMs. The worker's callback and transfer retries and the object's outboxes (projection,
 * platform webhooks) all wait by it.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs = 30_000): number {
  return Math.min(maxMs, baseMs * 2 ** (Math.max(1, attempt) - 1));
}
