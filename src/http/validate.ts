import { z } from "zod";
import { AppError } from "./errors.ts";

export const mediaIdParam = z.uuid();

export function parseMediaId(raw: string): string {
  const parsed = mediaIdParam.safeParse(raw);
  if (!parsed.success) throw new AppError(400, "INVALID_ID", `Media id must be a uuid, got "${raw.slice(0, 60)}"`);
  return parsed.data;
}

/** Validates a JSON body against a zod schema; malformed JSON and schema failures are both 400. */
export async function parseJson<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = await req.json();
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
