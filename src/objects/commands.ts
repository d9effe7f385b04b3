import type { CallbackPayload, TouchUpRequest } from "../contract/index.ts";
import type { Actor, RefusalCode } from "../machine/index.ts";
import type { StatusView } from "./status-view.ts";
import type { UploadView } from "./upload-session.ts";

/** What the Worker asks of an item's object. */
export type Command =
  | { type: "UPLOAD_COMPLETE" | "TRIGGER" | "RETRY" | "CANCEL" | "DELETE"; actor: Actor }
  | { type: "CALLBACK"; payload: CallbackPayload }
  /** A ready item's touch-up: a new poster frame, or downloads (src/machine/touch-up.ts). */
  | { type: "TOUCH_UP"; actor: Actor; request: TouchUpRequest }
  /** Copy the item's original from a URL (src/machine/ingest.ts); `transcode`: trigger once it is in. */
  | { type: "INGEST"; actor: Actor; url: string; maxBytes: number; transcode: boolean };

export type CommandResult =
  | { outcome: "applied"; status: StatusView }
  | { outcome: "ignored"; reason: string; status: StatusView }
  | { outcome: "refused"; code: RefusalCode; message: string; retryAfterSeconds?: number; status: StatusView | null }
  | { outcome: "dispatch_failed"; message: string; status: StatusView }
  /** No row for this id: the item does not exist (or was deleted). */
  | { outcome: "unknown" }
  /** A dependency (Postgres on first load, object storage) could not answer; nothing changed. */
  | { outcome: "unavailable"; message: string };

/** An upload operation's answer: the upload (and part URLs), or why not, as any command says it. */
export type UploadAnswer =
  | { outcome: "applied"; upload: UploadView; parts?: { partNumber: number; url: string }[]; urlsExpireAt?: string }
  | Exclude<CommandResult, { outcome: "applied" | "ignored" | "dispatch_failed" }>;

/** How the object answers a transition that changed something: applied, or acknowledged with the reason. */
export const answerOf = (outcome: { kind: "applied" } | { kind: "ignored"; reason: string }, status: StatusView): CommandResult =>
  outcome.kind === "ignored" ? { outcome: "ignored", reason: outcome.reason, status } : { outcome: "applied", status };
