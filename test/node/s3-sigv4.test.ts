import { AwsClient, AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { verifySigV4, type SignedRequest } from "../../dev/s3-sigv4.ts";

const SECRETS = { S3RVER: "S3RVER" };
const ENDPOINT = "http://127.0.0.1:4568";
const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "auto" });

/** What the server receives for a request as aws4fetch signed it. */
async function received(req: Request, override: Partial<SignedRequest> = {}): Promise<SignedRequest> {
  const headers: Record<string, string> = { host: new URL(req.url).host };
  req.headers.forEach((v, k) => (headers[k] = v));
  return { method: req.method, url: req.url, headers, ...override };
}

/** A part URL as the control plane presigns it: this part of this upload of this key, with its length. */
async function partUrl(key: string, uploadId: string, partNumber: number, length: number, expires = 3600) {
  const url = new URL(`${ENDPOINT}/media/${key}`);
  url.searchParams.set("partNumber", String(partNumber));
  url.searchParams.set("uploadId", uploadId);
  url.searchParams.set("X-Amz-Expires", String(expires));
  const signer = new AwsV4Signer({ method: "PUT", url: url.toString(), headers: { "content-length": String(length) }, accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "auto", signQuery: true, allHeaders: true });
  return (await signer.sign()).url.toString();
}
const put = (url: string, length: number): SignedRequest => ({ method: "PUT", url, headers: { host: new URL(url).host, "content-length": String(length) } });

describe("the local S3 server's SigV4 check", () => {
  it("accepts what aws4fetch signs in the header (a GET, a PUT with a body, a key with spaces and unicode)", async () => {
    for (const req of [
      await aws.sign(`${ENDPOINT}/media/a/b/c.m4s`, { method: "GET" }),
      await aws.sign(`${ENDPOINT}/media/${encodeURIComponent("clip one ü.mp4")}`, { method: "PUT", body: "bytes", headers: { "content-type": "video/mp4" } }),
      await aws.sign(`${ENDPOINT}/media?list-type=2&prefix=a%2Fb%2F`, { method: "GET" }),
    ]) {
      expect(await verifySigV4(await received(req), SECRETS)).toEqual({ ok: true, accessKeyId: "S3RVER" });
    }
  });

  it("refuses anonymous requests, unknown keys, a zeroed signature and a stale date", async () => {
    const req = await received(await aws.sign(`${ENDPOINT}/media/x`, { method: "GET" }));
    expect(await verifySigV4({ ...req, headers: { host: req.headers.host } }, SECRETS)).toMatchObject({ ok: false, code: "AccessDenied" });
    expect(await verifySigV4(req, { OTHER: "x" })).toMatchObject({ ok: false, code: "InvalidAccessKeyId" });
    const zeroed = String(req.headers.authorization).replace(/Signature=[0-9a-f]+/, `Signature=${"0".repeat(64)}`);
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: zeroed } }, SECRETS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(await verifySigV4(req, SECRETS, Date.now() + 20 * 60_000)).toMatchObject({ ok: false, code: "RequestTimeTooSkewed" });
  });

  it("a part URL binds its key, its upload, its part number and its length", async () => {
    const url = await partUrl("creator/originals/item-a/clip.mp4", "upload-a", 2, 65_536);
    expect(await verifySigV4(put(url, 65_536), SECRETS)).toMatchObject({ ok: true });
    // A body of another length than planned.
    expect(await verifySigV4(put(url, 64 * 1024 * 1024), SECRETS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    // The same signature on another item's key, another upload, another part.
    for (const [from, to] of [["item-a", "item-b"], ["upload-a", "upload-b"], ["partNumber=2", "partNumber=3"]] as const) {
      expect(await verifySigV4(put(url.replace(from, to), 65_536), SECRETS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    }
    // Zeroed, and expired.
    expect(await verifySigV4(put(url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`), 65_536), SECRETS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(await verifySigV4(put(url, 65_536), SECRETS, Date.now() + 3601_000)).toMatchObject({ ok: false, code: "AccessDenied", message: "Request has expired" });
  });
});
