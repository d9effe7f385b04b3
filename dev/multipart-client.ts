/**
 * A client of the resumable upload API (no Node imports: the Workers tests use it too). It asks
 * for part URLs in batches, PUTs parts in parallel straight to object storage, and on a second
 * run skips the parts storage already holds (GET …/upload lists them), then completes.
 */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

export interface UploadInfo {
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
  expiresAt: string;
}

export interface PartsOptions {
  /** Parts in flight at once. */
  concurrency?: number;
  /** The order parts are sent in (S3 assembles them by number whatever the order). */
  order?: "ascending" | "shuffled";
  /** Stop after this many parts have been sent by this run (a crash, for tests). */
  stopAfter?: number;
  onPart?: (partNumber: number, bytes: number) => void;
  /** The fetch that reaches object storage. */
  fetch?: typeof fetch;
  /** The file's real size, when it may differ from what was declared (parts are cut from it). */
  fileSize?: number;
}

const BATCH = 100;

/** Sends every part storage does not hold yet; resolves to how many this run sent. */
export async function sendParts(api: ApiCall, id: string, read: (start: number, end: number) => Promise<Uint8Array>, opts: PartsOptions = {}): Promise<number> {
  const status = await api("GET", `/api/media/${id}/upload`);
  if (status.status !== 200) throw new Error(`upload status: ${status.status} ${JSON.stringify(status.body)}`);
  const info = status.body as UploadInfo & { parts: { partNumber: number }[] };
  const have = new Set(info.parts.map((p) => p.partNumber));
  const size = opts.fileSize ?? info.size;
  const count = Math.max(1, Math.ceil(size / info.partSize));
  const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n));
  if (opts.order === "shuffled") todo.sort(() => Math.random() - 0.5);
  const limit = opts.stopAfter ?? Infinity;
  let sent = 0;
  for (let b = 0; b < todo.length && sent < limit; b += BATCH) {
    const batch = todo.slice(b, b + BATCH);
    const urls = await api("POST", `/api/media/${id}/upload/parts`, { partNumbers: batch });
    if (urls.status !== 200) throw new Error(`part URLs: ${urls.status} ${JSON.stringify(urls.body)}`);
    const queue = [...(urls.body.parts as { partNumber: number; url: string }[])];
    const worker = async () => {
      for (let next = queue.shift(); next && sent < limit; next = queue.shift()) {
        const start = (next.partNumber - 1) * info.partSize;
        const bytes = await read(start, Math.min(size, start + info.partSize));
        const res = await (opts.fetch ?? fetch)(next.url, { method: "PUT", body: bytes });
        if (!res.ok) throw new Error(`part ${next.partNumber}: ${res.status} ${await res.text()}`);
        await res.body?.cancel();
        sent++;
        opts.onPart?.(next.partNumber, bytes.length);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  }
  return sent;
}

/** Sends what is missing, then completes; resolves to the completion's answer. */
export async function uploadAll(api: ApiCall, id: string, read: (start: number, end: number) => Promise<Uint8Array>, opts: PartsOptions = {}) {
  await sendParts(api, id, read, opts);
  return api("POST", `/api/media/${id}/upload-complete`);
}
