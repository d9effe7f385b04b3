import { Hono } from "hono";
import { callbackPayload, SIGNATURE_HEADER, verifySignature } from "../contract/index.ts";
import { AppError } from "../http/errors.ts";
import { readLimited } from "../http/limited-body.ts";
import type { AppEnv } from "../http/types.ts";
import { log } from "../log.ts";
import { sendCommand } from "../objects/stubs.ts";
import { z } from "zod";

export const MAX_CALLBACK_BYTES = 1024 * 1024;

/**
 * Signed callbacks from the GPU worker (design.md §3). A 2xx means the event is durably stored
 * in the item's object (or needed no storing: stale, duplicate, unknown item).
 */
export const callbackRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const raw = await readLimited(c.req.raw, MAX_CALLBACK_BYTES, "A callback body");
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
