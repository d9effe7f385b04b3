import type { UploadedPart } from "../clients/object-store.ts";

/**
 * One resumable multipart upload of an item's original. The object keeps it while the item is
 * `uploading`; the client asks for presigned part URLs (any order, in parallel), can list what
 * is already there after a crash, and completes. The alarm aborts it once its TTL has passed.
 */
export const UPLOAD_KEY = "upload";

export interface UploadSession {
  uploadId: string;
  key: string;
  /** The size the client declared at registration (what the creator's allowance was charged). */
  size: number;
  contentType: string;
  mediaType: "video" | "audio";
  partSize: number;
  partCount: number;
  createdAt: number;
  expiresAt: number;
}

/** S3 and R2 allow at most 10,000 parts; every part but the last must be at least 5 MiB there. */
export const MAX_PARTS = 10_000;

/** The part size for a file of this size: the configured one, or larger where it would need too many parts. */
export function planParts(size: number, preferredPartSize: number): { partSize: number; partCount: number } {
  const partSize = Math.max(preferredPartSize, Math.ceil(size / MAX_PARTS));
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The planned length of part `n` (1-based): the part size, and the rest for the last part. */
export const partLength = (s: Pick<UploadSession, "size" | "partSize" | "partCount">, n: number) => (n < s.partCount ? s.partSize : s.size - (s.partCount - 1) * s.partSize);

/**
 * Whether the parts make the declared file, exactly as planned: numbered 1…n without a gap, none
 * past the plan, each of its planned length (which its URL also binds), and all of them there.
 */
export function checkParts(parts: UploadedPart[], s: UploadSession): { ok: true; total: number } | { ok: false; message: string } {
  if (!parts.length) return { ok: false, message: "No part has been uploaded" };
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const missing = sorted.findIndex((p, i) => p.partNumber !== i + 1);
  if (missing !== -1) return { ok: false, message: `Part ${missing + 1} is missing` };
  if (sorted.length > s.partCount) return { ok: false, message: `The upload has ${sorted.length} parts; ${s.partCount} were planned` };
  const wrong = sorted.find((p) => p.size !== partLength(s, p.partNumber));
  if (wrong) return { ok: false, message: `Part ${wrong.partNumber} is ${wrong.size} bytes; ${partLength(s, wrong.partNumber)} were planned` };
  const total = sorted.reduce((n, p) => n + p.size, 0);
  if (total !== s.size) return { ok: false, message: `The upload is ${total} bytes but ${s.size} were declared` };
  return { ok: true, total };
}

/** What the client is told of its upload. */
export function uploadView(s: UploadSession, parts?: UploadedPart[]) {
  return {
    uploadId: s.uploadId,
    size: s.size,
    partSize: s.partSize,
    partCount: s.partCount,
    expiresAt: new Date(s.expiresAt).toISOString(),
    ...(parts ? { parts: parts.map((p) => ({ partNumber: p.partNumber, size: p.size })) } : {}),
  };
}
export type UploadView = ReturnType<typeof uploadView>;
