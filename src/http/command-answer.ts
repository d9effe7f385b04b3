import type { RefusalCode } from "../machine/index.ts";
import type { CommandResult, UploadAnswer } from "../objects/commands.ts";
import type { StatusView } from "../objects/status-view.ts";
import { AppError } from "./errors.ts";

/**
 * The HTTP answer to each refusal the machine gives: status and the API's error code. A retry of
 * an item that is not failed is 422 INVALID_STATE (the retry route's contract); any other state
 * refusal is 409.
 */
const REFUSAL_HTTP: Record<RefusalCode, [404 | 403 | 409 | 422 | 429, string]> = {
  NOT_FOUND: [404, "NOT_FOUND"],
  FORBIDDEN: [403, "FORBIDDEN"],
  RETRY_EXHAUSTED: [422, "RETRY_EXHAUSTED"],
  INPUT_MISSING: [422, "INPUT_MISSING"],
  INVALID_STATE: [409, "INVALID_STATE"],
  NOT_RETRIABLE: [422, "INVALID_STATE"],
  RATE_LIMITED: [429, "RATE_LIMITED"],
  INVALID_OUTPUT: [422, "INVALID_OUTPUT"],
  UPLOAD_REJECTED: [422, "UPLOAD_REJECTED"],
};

/** What a command's outcome means to a caller of the API or of the RPC methods: the item's status, or an AppError. */
export function statusOrThrow(result: CommandResult): StatusView {
  if (result.outcome === "applied" || result.outcome === "ignored") return result.status;
  return failWith(result);
}

/** The same for an upload operation: its answer, or an AppError. */
export function uploadOrThrow(result: UploadAnswer): Extract<UploadAnswer, { outcome: "applied" }> {
  return result.outcome === "applied" ? result : failWith(result);
}

function failWith(result: Exclude<CommandResult, { outcome: "applied" | "ignored" }>): never {
  switch (result.outcome) {
    case "unknown":
      throw new AppError(404, "NOT_FOUND", "No such media item");
    case "unavailable":
      throw new AppError(503, "UNAVAILABLE", result.message);
    case "dispatch_failed":
      throw new AppError(502, "DISPATCH_FAILED", `Could not dispatch the job; the item is unchanged: ${result.message}`, {
        status: result.status.status,
      });
    case "refused": {
      const [status, code] = REFUSAL_HTTP[result.code];
      const headers = result.retryAfterSeconds === undefined ? undefined : { "retry-after": String(result.retryAfterSeconds) };
      throw new AppError(status, code, result.message, result.retryAfterSeconds === undefined ? undefined : { retryAfterSeconds: result.retryAfterSeconds }, headers);
    }
  }
}
