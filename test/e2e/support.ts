import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { AwsClient } from "aws4fetch";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { join } from "node:path";
import { inject } from "vitest";
import { call, tokenFor, upload, waitFor } from "../../dev/client.ts";
import { useLocalProxy, withClient } from "../../dev/db.ts";
import { fixture, tempDir } from "../../gpu-worker/test/support.ts";

export const env = inject("e2e");
export { call, fixture, tempDir, upload, waitFor };

export const creator = async () => {
  const id = randomUUID();
  return { id, token: await tokenFor(env.jwtSecret, id, "creator") };
};
export const adminToken = () => tokenFor(env.jwtSecret, randomUUID(), "admin");
export const control = async (what: string) => {
  const res = await fetch(`${env.control}/${what}`);
  if (!res.ok) throw new Error(`${what}: ${await res.text()}`);
};

/** What the platform's subscriber (the stack's receiver) got for this item, every try, verified there with standardwebhooks. */
export async function platformHooks(mediaId: string): Promise<{ id: string; type: string | null; verified: boolean; answered: number; eventAt: number | null; receivedAt: number; body: string }[]> {
  return (await (await fetch(`${env.control}/webhooks?mediaId=${mediaId}`)).json()) as never;
}

/** The row the dashboard reads, straight from Postgres (through the same WebSocket proxy). */
export async function row(id: string): Promise<Record<string, any> | null> {
  useLocalProxy(env.dbWsProxy);
  return withClient(env.databaseUrl, async (c) => (await c.query("SELECT * FROM media_items WHERE id = $1", [id])).rows[0] ?? null);
}

export async function rowWhen(id: string, check: (r: Record<string, any>) => boolean, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  let last: Record<string, any> | null = null;
  for (;;) {
    last = await row(id).catch(() => null);
    if (last && check(last)) return last;
    if (Date.now() > end) throw new Error(`row ${id} did not get there: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Writes bytes straight into the media bucket (what a creator's re-upload would do). */
export async function putObject(key: string, body: Uint8Array) {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const res = await aws.fetch(`${env.s3Endpoint}/media/${key.split("/").map(encodeURIComponent).join("/")}`, { method: "PUT", body });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
}

export const finished = (s: any) => s.status === "ready" || s.status === "failed";

/** Probes and fully decodes the master playlist served by the Worker's admin route. */
export function decodeThroughWorker(mediaId: string, admin: string) {
  const url = `${env.url}/api/admin/media/${mediaId}/files/hls/master.m3u8`;
  const headers = `Authorization: Bearer ${admin}\r\n`;
  const probe = JSON.parse(
    execFileSync("ffprobe", ["-v", "error", "-headers", headers, "-show_entries", "stream=codec_type,codec_name,width,height:format=duration", "-of", "json", url], {
      encoding: "utf8",
    }),
  );
  // A full decode of every stream: a broken segment fails here.
  execFileSync("ffmpeg", ["-v", "error", "-headers", headers, "-i", url, "-map", "0", "-f", "null", "-"], { stdio: ["ignore", "ignore", "pipe"] });
  return probe as { streams: { codec_type: string; codec_name: string; width?: number; height?: number }[]; format: { duration: string } };
}

/** A file that opens like an MP4 (an `ftyp` box, so the upload's check lets it in) and is noise after: FFmpeg cannot read it. */
export function corruptFile(): string {
  const path = `${tempDir()}/broken.mp4`;
  const ftyp = Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2")]);
  writeFileSync(path, Buffer.concat([ftyp, Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) % 256))]));
  return path;
}

/** Debian's Chromium, never a downloaded one; autoplay allowed (muted players start by themselves). */
export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
}

/** Where the dashboard tests leave their screenshots. */
export const ARTIFACTS = join(process.cwd(), "artifacts");

/** One Chromium for the file's tests (launched before them, closed after); call at the top of a file. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

/** The dashboard signed in as this admin, with the page's uncaught errors collected. */
export async function openDashboard(browser: Browser, admin: string) {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${env.url}/admin/#token=${admin}`);
  return { page, errors };
}
