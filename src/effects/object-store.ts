import { AwsClient } from "aws4fetch";
import type { Config } from "../config.ts";

/** The media bucket over the S3 API: R2 in production, a local S3 server on a developer's machine. */
export interface ObjectStore {
  exists(key: string): Promise<boolean>;
  presignPut(key: string, contentType: string, expiresSeconds: number): Promise<string>;
  get(key: string, range?: string | null): Promise<Response>;
  /** Deletes every object under the prefix, a page at a time; resolves to how many went. */
  deletePrefix(prefix: string): Promise<number>;
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
    let res: Response;
    try {
      res = await this.client.fetch(this.url(key), { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      throw new ObjectStoreError(`Object storage unreachable: ${(cause as Error).message}`, { cause });
    }
    if (res.status === 404) return false;
    if (!res.ok) throw new ObjectStoreError(`Object storage answered ${res.status} to HEAD`);
    return true;
  }

  async presignPut(key: string, contentType: string, expiresSeconds: number): Promise<string> {
    const url = new URL(this.url(key));
    url.searchParams.set("X-Amz-Expires", String(expiresSeconds));
    const signed = await this.client.sign(new Request(url, { method: "PUT", headers: { "content-type": contentType } }), {
      aws: { signQuery: true },
    });
    return signed.url;
  }

  async get(key: string, range?: string | null): Promise<Response> {
    return this.client.fetch(this.url(key), { headers: range ? { range } : {}, signal: AbortSignal.timeout(30_000) });
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

  private async call(url: string, method: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.client.fetch(url, { method, signal: AbortSignal.timeout(30_000) });
    } catch (cause) {
      throw new ObjectStoreError(`Object storage unreachable: ${(cause as Error).message}`, { cause });
    }
    if (!res.ok && !(method === "DELETE" && res.status === 404)) throw new ObjectStoreError(`Object storage answered ${res.status} to ${method}`);
    return res;
  }
}
