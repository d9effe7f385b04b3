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

/** How far the uploaded total may be from the declared size: 1 %, at least 64 KiB. */
export const sizeTolerance = (declared: number) => Math.max(64 * 1024, Math.ceil(declared * 0.01));

/** Whether the parts make the declared file: numbered 1…n without a gap, all but the last of the part size, the total within tolerance. */
export function checkParts(parts: UploadedPart[], s: UploadSession): { ok: true; total: number } | { ok: false; message: string } {
  if (!parts.length) return { ok: false, message: "No part has been uploaded" };
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const missing = sorted.findIndex((p, i) => p.partNumber !== i + 1);
  if (missing !== -1) return { ok: false, message: `Part ${missing + 1} is missing` };
  const short = sorted.slice(0, -1).find((p) => p.size !== s.partSize);
  if (short) return { ok: false, message: `Part ${short.partNumber} is ${short.size} bytes; every part but the last must be ${s.partSize}` };
  const total = sorted.reduce((n, p) => n + p.size, 0);
  const off = Math.abs(total - s.size);
  if (off > sizeTolerance(s.size)) return { ok: false, message: `The upload is ${total} bytes but ${s.size} were declared` };
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
