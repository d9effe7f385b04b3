import { sniffRejection, SNIFF_BYTES } from "../contract/index.ts";
import type { Config } from "../config.ts";
import { ObjectStoreError, type ObjectStore } from "../clients/object-store.ts";
import { mayAct, type Actor } from "../machine/index.ts";
import { statusView } from "./status-view.ts";
import { timed } from "../log.ts";
import type { MediaItemRow } from "../../schema/index.ts";
import type { UploadAnswer } from "./commands.ts";
import { idsOf, type LifecycleRecord } from "./record.ts";
import { checkParts, partLength, planParts, uploadView, type UploadSession } from "./upload-session.ts";

/** What the registration declared of the original. */
export type Declared = Pick<MediaItemRow, "originalSize" | "contentType">;

export interface UploadDeps {
  config: Config;
  s3: ObjectStore;
  /** The row the upload service wrote: the declared size and content type. */
  declared(mediaId: string): Promise<Declared | null>;
  session(): Promise<UploadSession | undefined>;
  /** The upload is over: the creator has one fewer open (best effort; the count also lapses at the upload's TTL). */
  closed(): Promise<void>;
  /** Persists the session (null forgets it) and re-arms the object's alarm. */
  save(session: UploadSession | null): Promise<void>;
}

/** What a client asks of an item's upload: open it (or resume the open one), list its parts, or part URLs. */
export type UploadAsk = { kind: "start"; declared?: Declared } | { kind: "status" } | { kind: "parts"; partNumbers: number[] };

/**
 * The work of an item's resumable upload against storage: open it, list its parts, presign part
 * URLs, complete and check it, end it. `ask` is the door: who may and in which state.
 */
export class Uploads {
  constructor(private readonly d: UploadDeps) {}

  /** The owner (an admin, the service) of an item still `uploading`; all but `start` need an open upload. */
  async ask(rec: LifecycleRecord, actor: Actor, ask: UploadAsk): Promise<UploadAnswer> {
    if (!mayAct(actor, rec.context.creatorId)) return { outcome: "unknown" };
    const status = statusView(rec.value, rec.context, rec.version);
    if (rec.value !== "uploading") return { outcome: "refused", code: "INVALID_STATE", message: `The item is ${rec.value}: its original can no longer be uploaded or replaced`, status };
    try {
      if (ask.kind === "start") return await this.start(rec, ask.declared);
      const session = await this.d.session();
      if (!session || session.expiresAt <= Date.now()) return { outcome: "refused", code: "INVALID_STATE", message: "No upload is open for this item; start one (POST …/upload)", status };
      return ask.kind === "status" ? await this.status(rec, session) : await this.partUrls(session, ask.partNumbers);
    } catch (error) {
      if (error instanceof ObjectStoreError) return { outcome: "unavailable", message: "Object storage is unavailable; try again" };
      throw error;
    }
  }

  /** `known`: what the caller already holds of the row (registration has just written it); else it is read. */
  async start(rec: LifecycleRecord, known?: Declared): Promise<UploadAnswer> {
    const live = await this.d.session();
    if (live && live.expiresAt > Date.now()) return { outcome: "applied", upload: uploadView(live) };
    const declared = known ?? (await this.d.declared(rec.context.mediaId));
    if (!declared) return { outcome: "unknown" };
    const { partSize, partCount } = planParts(declared.originalSize, this.d.config.upload.partSizeBytes);
    const uploadId = await timed("s3.create_multipart", idsOf(rec), () => this.d.s3.createMultipart(rec.context.inputKey, declared.contentType));
    const now = Date.now();
    const session: UploadSession = {
      uploadId,
      key: rec.context.inputKey,
      size: declared.originalSize,
      contentType: declared.contentType,
      mediaType: rec.context.mediaType,
      partSize,
      partCount,
      createdAt: now,
      expiresAt: now + this.d.config.upload.ttlMs,
    };
    await this.d.save(session);
    return { outcome: "applied", upload: uploadView(session) };
  }

  async status(rec: LifecycleRecord, session: UploadSession): Promise<UploadAnswer> {
    const parts = await timed("s3.list_parts", idsOf(rec), () => this.d.s3.listParts(session.key, session.uploadId));
    if (!parts) return { outcome: "refused", code: "INVALID_STATE", message: "The upload is no longer open; start another", status: null };
    return { outcome: "applied", upload: uploadView(session, parts) };
  }

  async partUrls(session: UploadSession, partNumbers: number[]): Promise<UploadAnswer> {
    const beyond = partNumbers.find((n) => n > session.partCount);
    if (beyond) return { outcome: "refused", code: "INVALID_STATE", message: `Part ${beyond} is beyond this upload's ${session.partCount} parts`, status: null };
    const ttl = Math.max(1, Math.min(this.d.config.upload.partUrlTtlSeconds, Math.floor((session.expiresAt - Date.now()) / 1000)));
    const parts = await Promise.all(
      partNumbers.map(async (partNumber) => ({ partNumber, url: await this.d.s3.presignPart(session.key, session.uploadId, partNumber, partLength(session, partNumber), ttl) })),
    );
    return { outcome: "applied", upload: uploadView(session), parts, urlsExpireAt: new Date(Date.now() + ttl * 1000).toISOString() };
  }

  /**
   * The facts of UPLOAD_COMPLETE: completes the multipart upload when its parts make the declared
   * file, then checks the assembled object's size and first bytes. A refusal before completing
   * leaves the upload open (send the missing parts and complete again); one after deletes the
   * object and closes the upload.
   */
  async finish(rec: LifecycleRecord): Promise<{ objectExists: boolean; rejected: string | null }> {
    const session = await this.d.session();
    const key = rec.context.inputKey;
    if (session) {
      const parts = await timed("s3.list_parts", idsOf(rec), () => this.d.s3.listParts(session.key, session.uploadId));
      // Nothing sent yet: the original is simply not there (INPUT_MISSING), not a bad upload.
      if (parts && !parts.length) return { objectExists: false, rejected: null };
      // null: completed by an earlier try whose answer was lost; the object speaks for itself below.
      if (parts) {
        const check = checkParts(parts, session);
        if (!check.ok) return { objectExists: false, rejected: check.message };
        await timed("s3.complete_multipart", { ...idsOf(rec), parts: parts.length }, () => this.d.s3.completeMultipart(session.key, session.uploadId, parts));
      }
    }
    const size = await timed("s3.size", idsOf(rec), () => this.d.s3.size(key));
    if (size === null) return { objectExists: false, rejected: null };
    const declared = session?.size ?? null;
    let rejected: string | null = null;
    if (declared !== null && size !== declared) rejected = `The upload is ${size} bytes but ${declared} were declared`;
    rejected ??= sniffRejection(await this.d.s3.head(key, SNIFF_BYTES), rec.context.mediaType);
    if (rejected) {
      await timed("s3.delete", idsOf(rec), () => this.d.s3.deleteObject(key));
      await this.end(false);
      return { objectExists: false, rejected: `${rejected}. Start a new upload (POST /api/media/${rec.context.mediaId}/upload)` };
    }
    await this.end(false);
    return { objectExists: true, rejected: null };
  }

  /** An upload left unfinished past its TTL is aborted (S3 drops its parts); the item may start another. */
  async expire(now: number): Promise<void> {
    const session = await this.d.session();
    if (session && now >= session.expiresAt) await this.end(true);
  }

  /** Forgets the upload; `abort` also tells storage to drop its parts. */
  async end(abort: boolean): Promise<void> {
    const session = await this.d.session();
    if (!session) return;
    if (abort) await timed("s3.abort_multipart", { uploadId: session.uploadId }, () => this.d.s3.abortMultipart(session.key, session.uploadId)).catch(() => {});
    await this.d.save(null);
    await this.d.closed();
  }
}
