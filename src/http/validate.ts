import { z } from "zod";
import { AppError } from "./errors.ts";
import { readLimited } from "./limited-body.ts";

/** Every JSON body the API takes is small (the largest, a registration, is a few hundred bytes). */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

export const mediaIdParam = z.uuid();

export function parseMediaId(raw: string): string {
  const parsed = mediaIdParam.safeParse(raw);
  if (!parsed.success) throw new AppError(400, "INVALID_ID", `Media id must be a uuid, got "${raw.slice(0, 60)}"`);
  return parsed.data;
}

/**
 * Validates a JSON body against a zod schema: more than MAX_JSON_BODY_BYTES is 413 before any
 * parsing (the body is never held whole); malformed JSON and schema failures are both 400.
 */
export async function parseJson<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  const raw = await readLimited(req, MAX_JSON_BODY_BYTES, "A JSON body");
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new AppError(400, "MALFORMED_JSON", "The request body is not valid JSON");
  }
  return parseBody(body, schema);
}

/** Validates a body already in hand (a JSON body, an RPC method's options) against a zod schema; failures are 400. */
export function parseBody<T extends z.ZodType>(body: unknown, schema: T): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new AppError(400, "INVALID_BODY", "The request body does not match the schema", z.treeifyError(parsed.error));
  }
  return parsed.data;
}

/** Validates query parameters (strings, coerced by the schema; or an RPC method's options) against a zod schema; failures are 400. */
export function parseQuery<T extends z.ZodType>(query: unknown, schema: T): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new AppError(400, "INVALID_QUERY", "The query parameters do not match the schema", z.treeifyError(parsed.error));
  return parsed.data;
}

/** Whether a Content-Type names JSON, by its parsed media type (case-insensitive, parameters ignored; `+json` too). */
export function isJson(contentType: string | null | undefined): boolean {
  const type = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}
