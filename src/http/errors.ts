import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ObjectStoreError } from "../clients/object-store.ts";
import { DatabaseRejected, DatabaseUnavailable } from "../db/client.ts";
import { log } from "../log.ts";

/** The one error type of the API; every failure leaves as `{ error: { code, message, requestId } }`. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Headers the answer must carry, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function errorBody(c: Context, code: string, message: string, details?: unknown) {
  return { error: { code, message, requestId: c.get("requestId") as string, ...(details ? { details } : {}) } };
}

export function onError(err: Error, c: Context) {
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return c.json(errorBody(c, err.code, err.message, err.details), err.status);
  }
  // 503 is kept for a database that really cannot be reached or did not answer: retry later.
  if (err instanceof DatabaseUnavailable) {
    log("warn", "database unavailable", { requestId: c.get("requestId"), path: c.req.path, error: err });
    c.header("retry-after", "5");
    return c.json(errorBody(c, "UNAVAILABLE", "The database is unavailable; nothing was changed, try again shortly"), 503);
  }
  // Object storage that did not answer (after the read's own second try): the bucket's fault, not ours.
  if (err instanceof ObjectStoreError) {
    log("warn", "object storage unavailable", { requestId: c.get("requestId"), path: c.req.path, error: err });
    return c.json(errorBody(c, "STORAGE_ERROR", "Object storage did not answer; try again"), 502);
  }
  if (err instanceof DatabaseRejected) {
    log("error", "database refused a statement", { requestId: c.get("requestId"), path: c.req.path, sqlState: err.sqlState, error: err });
    return c.json(errorBody(c, "INTERNAL", "Something went wrong on our side"), 500);
  }
  log("error", "unhandled", { requestId: c.get("requestId"), path: c.req.path, error: err });
  return c.json(errorBody(c, "INTERNAL", "Something went wrong on our side"), 500);
}

export function notFound(c: Context) {
  return c.json(errorBody(c, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404);
}
