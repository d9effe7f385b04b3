import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3, type LocalS3 } from "../../dev/s3.ts";

const DASHBOARD = "http://127.0.0.1:8787";
let s3: LocalS3;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "s3-cors-"));
  s3 = await startS3({ dataDir: dir, buckets: ["media"], corsOrigins: [DASHBOARD] });
});
afterAll(async () => {
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});

const preflight = async (origin: string) => {
  const res = await fetch(`${s3.endpoint}/media/creator/originals/item/clip.mp4?partNumber=1&uploadId=x`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "PUT" },
  });
  await res.body?.cancel();
  return { status: res.status, allowOrigin: res.headers.get("access-control-allow-origin") };
};

describe("the local S3 server's CORS", () => {
  it("lets the dashboard's page PUT parts, and no other web page", async () => {
    expect(await preflight(DASHBOARD)).toEqual({ status: 200, allowOrigin: DASHBOARD });
    const foreign = await preflight("http://evil.example");
    expect(foreign.status).not.toBe(200);
    expect(foreign.allowOrigin).toBeNull();
  });
});
