import { env } from "cloudflare:test";
import { AwsClient } from "aws4fetch";
import { outputKeys, type JobInput } from "../../../src/contract/index.ts";

/** The buckets on the test's s3rver, read and written directly. */
const aws = () => new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
const objectUrl = (bucket: "media" | "archive", key: string) => `${env.S3_ENDPOINT}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;

export async function putObject(bucket: "media" | "archive", key: string, body: string | Uint8Array = "x", contentType = "application/octet-stream") {
  const res = await aws().fetch(objectUrl(bucket, key), { method: "PUT", body, headers: { "content-type": contentType } });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
}

export async function objectExists(bucket: "media" | "archive", key: string): Promise<boolean> {
  const res = await aws().fetch(objectUrl(bucket, key), { method: "HEAD" });
  return res.ok;
}

/** A ready item's files as a job leaves them: the master, a rung with segments, stills, the mezzanine in the archive. */
export async function writeOutputs(input: JobInput, segments = 3): Promise<{ media: string[]; archive: string[] }> {
  const k = outputKeys(input);
  const media = [k.hlsMaster, `${k.hlsRoot}/360p/index.m3u8`, ...Array.from({ length: segments }, (_, i) => `${k.hlsRoot}/360p/seg_${String(i).padStart(3, "0")}.m4s`), k.thumbnail, k.storyboard, k.storyboardVtt, k.waveform];
  const archive = [k.mezzanine];
  await Promise.all([...media.map((key) => putObject("media", key)), ...archive.map((key) => putObject("archive", key))]);
  return { media, archive };
}

export async function storedBytes(key: string): Promise<Uint8Array> {
  const res = await aws().fetch(objectUrl("media", key));
  return new Uint8Array(await res.arrayBuffer());
}

export const sha256 = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))].map((x) => x.toString(16).padStart(2, "0")).join("");
