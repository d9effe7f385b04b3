import { AwsClient } from "aws4fetch";
import type { Config } from "../config.ts";

/** The media bucket over the S3 API: R2 in production, a local S3 server on a developer's machine. */
export interface ObjectStore {
  exists(key: string): Promise<boolean>;
  presignPut(key: string, contentType: string, expiresSeconds: number): Promise<string>;
  get(key: string, range?: string | null): Promise<Response>;
}

export class ObjectStoreError extends Error {
  override name = "ObjectStoreError";
}

/** Each segment of the key is escaped; the slashes between them stay. */
const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export class S3ObjectStore implements ObjectStore {
  private readonly client: AwsClient;
  constructor(private readonly config: Config["s3"]) {
    this.client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region,
    });
  }

  private url(key: string) {
    return `${this.config.endpoint}/${this.config.mediaBucket}/${encodeKey(key)}`;
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
}
