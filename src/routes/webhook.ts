import { Hono } from "hono";
import { callbackPayload, SIGNATURE_HEADER, verifySignature } from "../contract/index.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { log } from "../log.ts";
import { sendCommand } from "../media-service.ts";
import { z } from "zod";

export const MAX_CALLBACK_BYTES = 1024 * 1024;

/** Reads at most `limit` bytes; a longer body is refused without reading the rest. */
async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) (out.set(c, offset), (offset += c.byteLength));
  return out;
}

const tooLarge = () => new AppError(413, "PAYLOAD_TOO_LARGE", `A callback body may be at most ${MAX_CALLBACK_BYTES} bytes`);

/**
 * Signed callbacks from the GPU worker (design.md §3). A 2xx means the event is durably stored
 * in the item's object (or needed no storing: stale, duplicate, unknown item).
 */
export const webhookRoutes = new Hono<AppEnv>().post("/", async (c) => {
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
    case "dispatch_failed":
      // Refused (e.g. completed after cancel): final, so the sender must not retry it.
      return c.json({ received: true, outcome: "refused", reason: result.message });
  }
});
