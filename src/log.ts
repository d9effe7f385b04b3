/**
 * One JSON line per transition and per effect. Only ids, states, outcomes and durations go in:
 * never secrets, tokens or signed URLs.
 */
export type LogFields = Record<string, unknown>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields }, (_k, v) =>
    v instanceof Error ? { name: v.name, message: v.message, cause: v.cause instanceof Error ? v.cause.message : v.cause } : v,
  );
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Times an effect and logs its outcome; rethrows failures after logging them with their cause. */
export async function timed<T>(effect: string, fields: LogFields, fn: () => Promise<T>, describe?: (r: T) => LogFields): Promise<T> {
  const started = Date.now();
  try {
    const result = await fn();
    log("info", "effect", { effect, outcome: "ok", ms: Date.now() - started, ...fields, ...(describe?.(result) ?? {}) });
    return result;
  } catch (error) {
    log("warn", "effect", { effect, outcome: "error", ms: Date.now() - started, ...fields, error });
    throw error;
  }
}
