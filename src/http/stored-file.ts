import { AppError } from "./errors.ts";

/**
 * A bucket's answer to a GET as the API's: 404 when the object is not there, 416 (with the
 * object's Content-Range) for a range past its end, 502 for anything else that is not 200/206.
 * Both file routes (the admin's and the viewers') read objects through it.
 */
export async function storedOrThrow(upstream: Response): Promise<Response> {
  if (upstream.ok || upstream.status === 206) return upstream;
  await upstream.body?.cancel();
  if (upstream.status === 404) throw new AppError(404, "NOT_FOUND", "The file is not in storage");
  if (upstream.status === 416) {
    throw new AppError(416, "RANGE_NOT_SATISFIABLE", "The range is beyond the file", undefined, { "content-range": upstream.headers.get("content-range") ?? "" });
  }
  throw new AppError(502, "STORAGE_ERROR", `Object storage answered ${upstream.status}`);
}

/** These of the bucket's headers (length, range, validators), copied onto an answer. */
export function passBytesHeaders(upstream: Response, into: Headers, names: string[]): Headers {
  for (const h of names) {
    const v = upstream.headers.get(h);
    if (v) into.set(h, v);
  }
  return into;
}
