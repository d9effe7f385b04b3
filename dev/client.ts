import { open, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { SignJWT } from "jose";
import { uploadAll, type ApiCall, type PartsOptions } from "./multipart-client.ts";

/** A tiny API client for the local stack: what an upload service or a creator's app would do. */
/** The issuer and audience in wrangler.toml: what the identity service would put in its tokens. */
export const LOCAL_JWT = { issuer: "media-identity", audience: "media-transcoder" } as const;

export async function tokenFor(jwtSecret: string, sub: string, role: "creator" | "admin" = "creator"): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(LOCAL_JWT.issuer)
    .setAudience(LOCAL_JWT.audience)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("12h")
    .sign(new TextEncoder().encode(jwtSecret));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

export async function call<T = any>(base: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await apiOf(base, token)(method, path, body);
  if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, res.body);
  return res.body as T;
}

const TYPES: Record<string, string> = {
  ".mp4": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska", ".webm": "video/webm",
  ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
};

export function mediaTypeOf(path: string): "video" | "audio" {
  return (TYPES[extname(path).toLowerCase()] ?? "video/mp4").startsWith("audio/") ? "audio" : "video";
}

/** The API as the multipart client wants it: answers with their status, never throwing on one. */
export const apiOf = (base: string, token: string): ApiCall => async (method, path, body) => {
  const res = await fetch(`${base}${path}`, {
    method,
    // The answers are a few hundred bytes: gzip (which wrangler dev applies as Cloudflare's edge
    // would) only costs both ends a zlib stream per request.
    headers: { authorization: `Bearer ${token}`, "accept-encoding": "identity", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

/** Reads [start, end) of a file. */
export const fileRange = (path: string) => async (start: number, end: number) => {
  const handle = await open(path, "r");
  try {
    const buf = new Uint8Array(end - start);
    await handle.read(buf, 0, buf.length, start);
    return buf;
  } finally {
    await handle.close();
  }
};

/** Registers a file, uploads it in parts (resumable multipart), and completes. Returns the id. */
export async function upload(base: string, token: string, path: string, mediaType = mediaTypeOf(path), opts: PartsOptions & { register?: Record<string, unknown> } = {}): Promise<string> {
  const contentType = TYPES[extname(path).toLowerCase()] ?? (mediaType === "audio" ? "audio/mp4" : "video/mp4");
  const { size } = await stat(path);
  // `register`: the registration's options (normalizeAudio, …) beside what the file says.
  const reg = await call(base, "POST", "/api/media", token, { mediaType, filename: basename(path), size, contentType, ...opts.register });
  const done = await uploadAll(apiOf(base, token), reg.id, fileRange(path), opts);
  if (done.status !== 200) throw new Error(`upload-complete: ${done.status} ${JSON.stringify(done.body)}`);
  return reg.id;
}

export type Status = Awaited<ReturnType<typeof status>>;
export const status = (base: string, token: string, id: string) => call(base, "GET", `/api/media/${id}/transcoding-status`, token);

/** Polls the status endpoint until `done` says so (or the time runs out). */
export async function waitFor(
  base: string,
  token: string,
  id: string,
  done: (s: any) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; onUpdate?: (s: any) => void } = {},
): Promise<any> {
  const end = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const s = await status(base, token, id);
    opts.onUpdate?.(s);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${id}: last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
