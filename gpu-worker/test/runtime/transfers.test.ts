import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/runtime/s3-store.ts";
import { tempDir } from "../support.ts";
import { faultyProxy, localS3 } from "./support.ts";

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const MiB = 1024 * 1024;
let s3: Awaited<ReturnType<typeof localS3>>;
const dir = tempDir();
const file = (name: string, bytes: number) => {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(bytes));
  return path;
};
const key = (name: string) => `${crypto.randomUUID()}/${name}`;

beforeAll(async () => {
  s3 = await localS3();
});
afterAll(() => s3.stop());

describe("S3 transfers against s3rver", () => {
  it("uploads with the Content-Type and Cache-Control of each asset and streams the download back", async () => {
    const store = s3.store("media");
    const seg = file("seg.ts", 300_000);
    const playlist = join(dir, "index.m3u8");
    writeFileSync(playlist, "#EXTM3U\n#EXT-X-ENDLIST\n");
    const [segKey, plKey] = [key("720p/seg_00000.ts"), key("720p/index.m3u8")];
    await store.upload(segKey, seg);
    await store.upload(plKey, playlist);
    expect(await store.head(segKey)).toMatchObject({ size: 300_000, contentType: "video/mp2t", cacheControl: "public, max-age=31536000, immutable" });
    expect(await store.head(plKey)).toMatchObject({ contentType: "application/vnd.apple.mpegurl", cacheControl: "public, max-age=60" });
    const back = join(dir, "seg.back");
    expect(await store.download(segKey, back)).toBe(300_000);
    expect(sha(back)).toBe(sha(seg));
  });

  it("sends a large file in parts and it reads back byte for byte", async () => {
    const counter = await faultyProxy(s3.endpoint, () => "pass");
    const store = s3.store("archive", counter.endpoint, { multipartThreshold: 5 * MiB, partSize: 5 * MiB, partConcurrency: 2 });
    const big = file("mezz.mp4", 12 * MiB + 12345);
    const k = key("mezzanine.mp4");
    await store.upload(k, big);
    // Create, three parts (5 + 5 + 2 MiB), complete.
    expect(counter.stats.requests).toBe(5);
    await counter.close();
    const back = join(dir, "mezz.back");
    expect(await s3.store("archive").download(k, back)).toBe(12 * MiB + 12345);
    expect(sha(back)).toBe(sha(big));
    expect((await s3.store("archive").head(k))?.contentType).toBe("video/mp4");
  });

  it("rides out 5xx answers and dropped connections, single and multipart", async () => {
    // Every third request fails, alternating a 503 and a dropped connection.
    const proxy = await faultyProxy(s3.endpoint, (_req, n) => (n % 3 === 0 ? (n % 2 ? "503" : "drop") : "pass"));
    try {
      const store = s3.store("media", proxy.endpoint, { multipartThreshold: 5 * MiB, partSize: 5 * MiB, attempts: 6 });
      const small = Array.from({ length: 6 }, (_, i) => file(`s${i}.ts`, 50_000 + i));
      const keys = small.map((_, i) => key(`s${i}.ts`));
      await Promise.all(small.map((p, i) => store.upload(keys[i]!, p)));
      const big = file("big.mp4", 11 * MiB);
      const bigKey = key("big.mp4");
      await store.upload(bigKey, big);
      const back = join(dir, "big.back");
      await store.download(bigKey, back);
      expect(sha(back)).toBe(sha(big));
      for (const [i, k] of keys.entries()) expect((await s3.store("media").head(k))?.size).toBe(50_000 + i);
      expect(proxy.stats.injected).toBeGreaterThanOrEqual(3);
    } finally {
      await proxy.close();
    }
  });

  it("gives up with a StoreError when the store keeps failing, and does not retry a 4xx", async () => {
    const proxy = await faultyProxy(s3.endpoint, () => "500");
    try {
      const store = s3.store("media", proxy.endpoint, { attempts: 3 });
      const err = await store.upload(key("x.ts"), file("x.ts", 10)).catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.status).toBe(500);
      expect(proxy.stats.requests).toBe(3);
    } finally {
      await proxy.close();
    }
    const missing = await s3.store("media").download(key("nothing.mp4"), join(dir, "nothing")).catch((e) => e);
    expect(missing).toBeInstanceOf(StoreError);
    expect(missing.status).toBe(404);
  });
});
