import { AppError } from "./errors.ts";

/** Past the limit, up to this much more is read and thrown away before the 413 (see readLimited). */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
/** …and for no longer than this: a sender that stalls still gets its answer. */
const DRAIN_MAX_MS = 2_000;

/**
 * Reads at most `limit` bytes; a longer body gets a 413 without the rest being kept.
 *
 * How the refusal leaves matters as much as the status. Left unread, the runtime drains the body
 * before answering, so a sender that declares 100 MiB and stalls would get no answer at all; but
 * closing a connection on unread bytes resets it, and a sender still writing (8 MiB chunked,
 * written before it reads) sees a reset instead of the 413. So: a declared length past what we
 * would ever drain is refused at once and the body cancelled; otherwise the excess is read and
 * dropped, bounded in bytes and time, and the 413 follows on a connection that closes cleanly.
 */
export async function readLimited(req: Request, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit + DRAIN_MAX_BYTES) {
    req.body?.cancel().catch(() => {});
    throw tooLarge(limit, what);
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (Number.isFinite(declared) && declared > limit) await refuse(reader, 0, limit, what);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) await refuse(reader, size - limit, limit, what);
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) (out.set(c, offset), (offset += c.byteLength));
  return out;
}

/** Drops what is left of the body (bounded), cancels the rest, and throws the 413. */
async function refuse(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyOver: number, limit: number, what: string): Promise<never> {
  const until = Date.now() + DRAIN_MAX_MS;
  let dropped = alreadyOver;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), DRAIN_MAX_MS)));
  try {
    while (dropped < DRAIN_MAX_BYTES && Date.now() < until) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === "expired" || next.done) break;
      dropped += next.value.byteLength;
    }
  } catch {
    // The sender went away: nobody to answer, nothing to keep.
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  throw tooLarge(limit, what);
}

const tooLarge = (limit: number, what: string) => new AppError(413, "PAYLOAD_TOO_LARGE", `${what} may be at most ${limit} bytes`);

