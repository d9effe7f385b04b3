/**
 * One JSON line per transition and per effect. Only ids, states, outcomes and durations go in:
 * never secrets, tokens or signed URLs.
 */
export type LogFields = Record<string, unknown>;

type Level = "info" | "warn" | "error";
const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 };
let threshold: Level = "info";

/** LOG_LEVEL (info by default). `wrangler dev` pipes every line through Node, which costs CPU under load. */
export function setLogLevel(level: string | undefined): void {
  threshold = level === "warn" || level === "error" ? level : "info";
}

export function log(level: Level, msg: string, fields: LogFields = {}): void {
  if (RANK[level] < RANK[threshold]) return;
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields }, (_k, v) =>
    v instanceof Error ? { name: v.name, message: v.message, cause: v.cause instanceof Error ? v.cause.message : v.cause } : v,
  );
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * Times an effect and logs its outcome; rethrows failures after logging them with their cause.
 * `quiet`: successes are not logged (effects that keep their own record, like webhook deliveries).
 */
export async function timed<T>(effect: string, fields: LogFields, fn: () => Promise<T>, describe?: (r: T) => LogFields, opts: { quiet?: boolean } = {}): Promise<T> {
  const started = Date.now();
  try {
    const result = await fn();
    if (!opts.quiet) log("info", "effect", { effect, outcome: "ok", ms: Date.now() - started, ...fields, ...(describe?.(result) ?? {}) });
    return result;
  } catch (error) {
    log("warn", "effect", { effect, outcome: "error", ms: Date.now() - started, ...fields, error });
    throw error;
  }
}
