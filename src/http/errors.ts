import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../log.ts";

/** The one error type of the API; every failure leaves as `{ error: { code, message, requestId } }`. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function errorBody(c: Context, code: string, message: string, details?: unknown) {
  return { error: { code, message, requestId: c.get("requestId") as string, ...(details ? { details } : {}) } };
}

export function onError(err: Error, c: Context) {
  if (err instanceof AppError) return c.json(errorBody(c, err.code, err.message, err.details), err.status);
  log("error", "unhandled", { requestId: c.get("requestId"), path: c.req.path, error: err });
  return c.json(errorBody(c, "INTERNAL", "Something went wrong on our side"), 500);
}

export function notFound(c: Context) {
  return c.json(errorBody(c, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404);
}
