import { Hono } from "hono";
import { callbackPayload, SIGNATURE_HEADER, verifySignature } from "../contract/index.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { log } from "../log.ts";
import { sendCommand } from "../objects/stubs.ts";
import { z } from "zod";

export const MAX_CALLBACK_BYTES = 1024 * 1024;

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
async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit + DRAIN_MAX_BYTES) {
    req.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (Number.isFinite(declared) && declared > limit) await refuse(reader, 0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) await refuse(reader, size - limit);
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) (out.set(c, offset), (offset += c.byteLength));
  return out;
}

/** Drops what is left of the body (bounded), cancels the rest, and throws the 413. */
async function refuse(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyOver: number): Promise<never> {
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
  throw tooLarge();
}

const tooLarge = () => new AppError(413, "PAYLOAD_TOO_LARGE", `A callback body may be at most ${MAX_CALLBACK_BYTES} bytes`);

/**
 * Signed callbacks from the GPU worker (design.md §3). A 2xx means the event is durably stored
 * in the item's object (or needed no storing: stale, duplicate, unknown item).
 */
export const callbackRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const raw = await readLimited(c.req.raw, MAX_CALLBACK_BYTES);
  const verdict = await verifySignature(c.get("config").webhookSecrets, c.req.header(SIGNATURE_HEADER), raw);
  if (!verdict.ok) {
    log("warn", "webhook rejected", { requestId: c.get("requestId"), reason: verdict.reason });
    throw new AppError(401, "INVALID_SIGNATURE", `Signature ${verdict.reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError(400, "MALFORMED_JSON", "The callback body is not valid JSON");
  }
  const parsed = callbackPayload.safeParse(json);
  if (!parsed.success) throw new AppError(400, "INVALID_BODY", "The callback does not match the contract", z.treeifyError(parsed.error));
  const payload = parsed.data;
  const result = await sendCommand(c.env, payload.mediaId, { type: "CALLBACK", payload });
  switch (result.outcome) {
    case "unavailable":
      throw new AppError(503, "UNAVAILABLE", result.message);
    case "unknown":
      log("warn", "webhook for unknown media", { mediaId: payload.mediaId, attemptId: payload.attemptId });
      return c.json({ received: true, outcome: "ignored", reason: "unknown media" });
    case "applied":
      return c.json({ received: true, outcome: "applied", status: result.status.status });
    case "ignored":
      return c.json({ received: true, outcome: "ignored", reason: result.reason });
    case "refused":
      // Refused (completed after cancel, keys that are not this item's): final, so the sender
      // must not retry it; the code says which.
      return c.json({ received: true, outcome: "refused", code: result.code, reason: result.message });
    case "dispatch_failed":
      return c.json({ received: true, outcome: "refused", reason: result.message });
  }
});
