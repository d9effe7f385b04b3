import { createWriteStream } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AwsClient } from "aws4fetch";
import { assetHeaders } from "./asset-headers.ts";
import { mapLimit, withRetry } from "./retry.ts";

/** One bucket over the S3 API: R2 or B2 in production, s3rver on a developer's machine. */
export interface BucketConfig {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

export interface TransferOptions {
  /** Files above this size go up in parts (S3's minimum part is 5 MiB). */
  multipartThreshold?: number;
  partSize?: number;
  partConcurrency?: number;
  attempts?: number;
  retryBaseMs?: number;
  requestTimeoutMs?: number;
}

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    message: string,
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** 5xx, 408, 429 and network errors may pass; a 4xx will not. */
  get retriable(): boolean {
    return this.status === null || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** An object the bucket does not have (404), or will not show (403, as S3 answers for a missing key without ListBucket). */
export const isMissing = (error: unknown): error is StoreError => error instanceof StoreError && (error.status === 404 || error.status === 403);

const MiB = 1024 * 1024;
const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export class S3Store {
  private readonly client: AwsClient;
  private readonly opts: Required<TransferOptions>;

  constructor(
    readonly config: BucketConfig,
    opts: TransferOptions = {},
  ) {
    this.client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region ?? "auto",
      retries: 0, // retries are ours, with the status codes we choose
    });
    this.opts = {
      multipartThreshold: opts.multipartThreshold ?? 64 * MiB,
      partSize: opts.partSize ?? 16 * MiB,
      partConcurrency: opts.partConcurrency ?? 4,
      attempts: opts.attempts ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 250,
      requestTimeoutMs: opts.requestTimeoutMs ?? 120_000,
    };
  }

  url(key: string, query = ""): string {
    return `${this.config.endpoint.replace(/\/$/, "")}/${this.config.bucket}/${encodeKey(key)}${query}`;
  }

  /** One signed request; a non-2xx answer or a network error becomes a StoreError. */
  private async request(method: string, url: string, init: { body?: Uint8Array | string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const signals = [AbortSignal.timeout(this.opts.requestTimeoutMs), ...(init.signal ? [init.signal] : [])];
    let res: Response;
    try {
      res = await this.client.fetch(url, { method, body: init.body, headers: init.headers, signal: AbortSignal.any(signals) });
    } catch (cause) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new StoreError(`${method} ${this.config.bucket}: ${(cause as Error).message}`, null, { cause });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      throw new StoreError(`${method} ${this.config.bucket} answered ${res.status}${code ? ` ${code}` : ""}`, res.status);
    }
    return res;
  }

  private retrying<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, {
      attempts: this.opts.attempts,
      baseMs: this.opts.retryBaseMs,
      signal,
      retriable: (e) => e instanceof StoreError && e.retriable,
    });
  }

  /** Streams an object to `path`: memory stays flat whatever the size of the original. */
  async download(key: string, path: string, signal?: AbortSignal): Promise<number> {
    return this.retrying(async () => {
      const res = await this.request("GET", this.url(key), { signal });
      if (!res.body) throw new StoreError("GET returned no body", null);
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(path), { signal });
      } catch (cause) {
        await rm(path, { force: true });
        if (signal?.aborted) throw signal.reason;
        throw new StoreError(`download of ${this.config.bucket} object interrupted: ${(cause as Error).message}`, null, { cause });
      }
      return (await stat(path)).size;
    }, signal);
  }

  /** Writes bytes [start, end) of an object into `path` at the same offset (the file exists: a sparse stand-in). */
  async downloadRange(key: string, path: string, start: number, end: number, signal?: AbortSignal): Promise<number> {
    return this.retrying(async () => {
      const res = await this.request("GET", this.url(key), { signal, headers: { range: `bytes=${start}-${end - 1}` } });
      if (!res.body) throw new StoreError("GET returned no body", null);
      // A server that ignores Range sends the whole object: refuse it rather than write it at an offset.
      if (res.status !== 206) {
        await res.body.cancel();
        throw new StoreError(`GET ${this.config.bucket} answered ${res.status} to a ranged request`, null);
      }
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(path, { flags: "r+", start }), { signal });
      } catch (cause) {
        if (signal?.aborted) throw signal.reason;
        throw new StoreError(`ranged download of ${this.config.bucket} object interrupted: ${(cause as Error).message}`, null, { cause });
      }
      return end - start;
    }, signal);
  }

  async head(key: string): Promise<{ size: number; contentType: string | null; cacheControl: string | null } | null> {
    try {
      const res = await this.request("HEAD", this.url(key));
      return {
        size: Number(res.headers.get("content-length") ?? 0),
        contentType: res.headers.get("content-type"),
        cacheControl: res.headers.get("cache-control"),
      };
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) return null;
      throw error;
    }
  }

  /** Removes an object (S3 answers 204 whether or not it was there). */
  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.retrying(async () => void (await (await this.request("DELETE", this.url(key), { signal })).body?.cancel()), signal);
  }

  /** A small text object (a playlist being published) with the headers its key calls for. */
  async putText(key: string, text: string, signal?: AbortSignal): Promise<void> {
    const { contentType, cacheControl } = assetHeaders(key);
    const body = new TextEncoder().encode(text);
    await this.retrying(() => this.request("PUT", this.url(key), { body, headers: { "content-type": contentType, "cache-control": cacheControl }, signal }), signal);
  }

  /** Uploads a local file with the headers its key calls for; large files go up in parts. Answers its size. */
  async upload(key: string, path: string, signal?: AbortSignal): Promise<number> {
    const { size } = await stat(path);
    const { contentType, cacheControl } = assetHeaders(key);
    const headers = { "content-type": contentType, "cache-control": cacheControl };
    if (size > this.opts.multipartThreshold) await this.uploadMultipart(key, path, size, headers, signal);
    else {
      const body = await readFile(path);
      await this.retrying(() => this.request("PUT", this.url(key), { body, headers, signal }), signal);
    }
    return size;
  }

  private async uploadMultipart(key: string, path: string, size: number, headers: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const created = await this.retrying(() => this.request("POST", this.url(key, "?uploads"), { headers, signal }).then((r) => r.text()), signal);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)?.[1];
    if (!uploadId) throw new StoreError("CreateMultipartUpload returned no UploadId", null);
    const q = (extra: string) => `?${extra}uploadId=${encodeURIComponent(uploadId)}`;
    const count = Math.ceil(size / this.opts.partSize);
    const file = await open(path, "r");
    try {
      // Each lane holds one part in memory: at most partConcurrency × partSize bytes.
      const etags = await mapLimit(
        Array.from({ length: count }, (_, i) => i + 1),
        this.opts.partConcurrency,
        async (n) => {
          const offset = (n - 1) * this.opts.partSize;
          const body = Buffer.alloc(Math.min(this.opts.partSize, size - offset));
          await file.read(body, 0, body.length, offset);
          const res = await this.retrying(() => this.request("PUT", this.url(key, q(`partNumber=${n}&`)), { body, signal }), signal);
          const etag = res.headers.get("etag");
          if (!etag) throw new StoreError(`part ${n} returned no ETag`, null);
          return etag;
        },
      );
      const xml =
        "<CompleteMultipartUpload>" +
        etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("") +
        "</CompleteMultipartUpload>";
      await this.retrying(async () => {
        const res = await this.request("POST", this.url(key, q("")), { body: xml, headers: { "content-type": "application/xml" }, signal });
        // S3 may answer 200 with an <Error> body when completion fails late.
        const text = await res.text();
        if (/<Error>/.test(text)) throw new StoreError(`CompleteMultipartUpload failed: ${text.slice(0, 200)}`, 500);
      }, signal);
    } catch (error) {
      // Abandoned parts cost storage until aborted.
      await this.request("DELETE", this.url(key, q(""))).catch(() => {});
      throw error;
    } finally {
      await file.close();
    }
  }
}
