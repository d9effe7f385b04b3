import type { OutboxState } from "./outbox.ts";
import type { LifecycleRecord } from "./record.ts";
import { UPLOAD_KEY, type UploadSession } from "./upload-session.ts";

/** What an item's object keeps: the lifecycle record, the open upload, and one outbox per user (keys `outbox:…`). */
export interface Stored extends Record<string, unknown> {
  lifecycle: LifecycleRecord;
  [UPLOAD_KEY]: UploadSession;
  [outbox: `outbox:${string}`]: OutboxState<unknown>;
}
