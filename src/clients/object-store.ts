import { AwsClient, AwsV4Signer } from "aws4fetch";
import type { Config } from "../config.ts";

/** The media bucket over the S3 API: R2 in production, a local S3 server on a developer's machine. */
export interface ObjectStore {
  exists(key: string): Promise<boolean>;
  get(key: string, range?: string | null): Promise<Response>;
  /** Deletes every object under the prefix, a page at a time; resolves to how many went. */
  deletePrefix(prefix: string): Promise<number>;
  deleteObject(key: string): Promise<void>;
  /** Writes a small text object (a playlist the item's object publishes). */
  putText(key: string, text: string, contentType: string, cacheControl: string): Promise<void>;
  /** The object's size in bytes, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** The first bytes of the object (for sniffing what it is). */
  head(key: string, bytes: number): Promise<Uint8Array>;
  createMultipart(key: string, contentType: string): Promise<string>;
  /** A presigned PUT of one part, bound to its exact length (the Content-Length header is signed). */
  presignPart(key: string, uploadId: string, partNumber: number, length: number, expiresSeconds: number): Promise<string>;
  /** The parts uploaded so far (every page of them); null when the upload is gone (completed or aborted). */
  listParts(key: string, uploadId: string): Promise<UploadedPart[] | null>;
  completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** One bucket over the S3 API. */
export interface BucketConfig {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

const DELETE_CONCURRENCY = 8;
const xmlText = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

export class ObjectStoreError extends Error {
  override name = "ObjectStoreError";
}

/** Each segment of the key is escaped; the slashes between them stay. */
const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export class S3ObjectStore implements ObjectStore {
  private readonly client: AwsClient;
  private readonly bucket: string;
  constructor(private readonly config: Config["s3"] | BucketConfig) {
    this.bucket = "bucket" in config ? config.bucket : config.mediaBucket;
    this.client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region,
    });
  }

  private url(key: string) {
    return `${this.config.endpoint}/${this.bucket}/${encodeKey(key)}`;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  async size(key: string): Promise<number | null> {
    const res = await this.call(this.url(key), "HEAD", { allow: [404], timeoutMs: 10_000 });
    return res.status === 404 ? null : Number(res.headers.get("content-length"));
  }

  async head(key: string, bytes: number): Promise<Uint8Array> {
    const res = await this.call(this.url(key), "GET", { headers: { range: `bytes=0-${bytes - 1}` } });
    return new Uint8Array(await res.arrayBuffer()).subarray(0, bytes);
  }

  async deleteObject(key: string): Promise<void> {
    await this.call(this.url(key), "DELETE");
  }

  async putText(key: string, text: string, contentType: string, cacheControl: string): Promise<void> {
    const res = await this.call(this.url(key), "PUT", { headers: { "content-type": contentType, "cache-control": cacheControl }, body: text, timeoutMs: 10_000 });
    await res.body?.cancel();
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    const res = await this.call(`${this.url(key)}?uploads`, "POST", { headers: { "content-type": contentType } });
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await res.text())?.[1];
    if (!id) throw new ObjectStoreError("CreateMultipartUpload answered without an UploadId");
    return xmlText(id);
  }

  async presignPart(key: string, uploadId: string, partNumber: number, length: number, expiresSeconds: number): Promise<string> {
    const url = new URL(this.url(key));
    url.searchParams.set("partNumber", String(partNumber));
    url.searchParams.set("uploadId", uploadId);
    url.searchParams.set("X-Amz-Expires", String(expiresSeconds));
    // Query-signed: the browser PUTs the bytes with no credentials of its own. The signature binds
    // this part of this upload of this key and its planned length (Content-Length is signed, which
    // S3 and R2 enforce), and nothing else: a larger body, or the URL on another key, is refused.
    const signer = new AwsV4Signer({
      method: "PUT",
      url: url.toString(),
      headers: { "content-length": String(length) },
      accessKeyId: this.config.accessKeyId,
      secretAccessKey: this.config.secretAccessKey,
      service: "s3",
      region: this.config.region,
      signQuery: true,
      // aws4fetch leaves Content-Length out of a signature unless told.
      allHeaders: true,
    });
    return (await signer.sign()).url.toString();
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | null> {
    const parts: UploadedPart[] = [];
    let marker = 0;
    for (;;) {
      const url = new URL(this.url(key));
      url.searchParams.set("uploadId", uploadId);
      if (marker) url.searchParams.set("part-number-marker", String(marker));
      const res = await this.call(url.href, "GET", { allow: [404] });
      if (res.status === 404) return (await res.body?.cancel(), null);
      const xml = await res.text();
      for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
        const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(m[1]!)?.[1] ?? "";
        parts.push({ partNumber: Number(field("PartNumber")), size: Number(field("Size")), etag: xmlText(field("ETag")) });
      }
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml)) return parts;
      marker = Number(/<NextPartNumberMarker>(\d+)<\/NextPartNumberMarker>/.exec(xml)?.[1] ?? 0);
      if (!marker) return parts;
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    const body = `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const res = await this.call(`${this.url(key)}?uploadId=${encodeURIComponent(uploadId)}`, "POST", { body, headers: { "content-type": "application/xml" } });
    // S3 may answer 200 and still fail, with an <Error> in the body.
    const text = await res.text();
    if (/<Error>/.test(text)) throw new ObjectStoreError(`CompleteMultipartUpload failed: ${/<Message>([^<]*)/.exec(text)?.[1] ?? text.slice(0, 200)}`);
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.call(`${this.url(key)}?uploadId=${encodeURIComponent(uploadId)}`, "DELETE", { allow: [404] });
  }

  /**
   * A GET of the object (a range of it): the bucket's answer, whatever its status. A request that
   * got no answer at all (the connection dropped) is tried once more, then thrown as an
   * ObjectStoreError (the file routes answer 502): it is a read, and a viewer's player would
   * otherwise see a 500 for a storage hiccup.
   */
  async get(key: string, range?: string | null): Promise<Response> {
    const once = () => this.client.fetch(this.url(key), { headers: range ? { range } : {}, signal: AbortSignal.timeout(30_000) });
    try {
      return await once();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      return once().catch((error: Error) => {
        throw new ObjectStoreError(`GET ${key} got no answer: ${error.message}`);
      });
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      // Always the first page: what was deleted is gone, so an interrupted run resumes where it stopped.
      const list = new URL(`${this.config.endpoint}/${this.bucket}/`);
      list.searchParams.set("list-type", "2");
      list.searchParams.set("prefix", prefix);
      list.searchParams.set("max-keys", "1000");
      const res = await this.call(list.href, "GET");
      const xml = await res.text();
      const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1]!)).filter((k) => k.startsWith(prefix));
      if (!keys.length) return deleted;
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((k) => this.call(this.url(k), "DELETE")));
      }
      deleted += keys.length;
    }
  }

  private async call(url: string, method: string, opts: { headers?: Record<string, string>; body?: string; allow?: number[]; timeoutMs?: number } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await this.client.fetch(url, { method, headers: opts.headers, body: opts.body, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    } catch (cause) {
      throw new ObjectStoreError(`Object storage unreachable: ${(cause as Error).message}`, { cause });
    }
    const allowed = opts.allow?.includes(res.status) || (method === "DELETE" && res.status === 404);
    if (!res.ok && !allowed) {
      await res.body?.cancel();
      throw new ObjectStoreError(`Object storage answered ${res.status} to ${method}`);
    }
    return res;
  }
}
