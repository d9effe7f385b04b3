import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutputUploader } from "../../src/runtime/output-uploader.ts";
import { tempDir } from "../support.ts";
import { faultyProxy, localS3, until } from "./support.ts";

let s3: Awaited<ReturnType<typeof localS3>>;
beforeAll(async () => {
  s3 = await localS3();
});
afterAll(() => s3.stop());

describe("output uploader", () => {
  it("uploads a segment as soon as its playlist lists it, while encoding goes on; the master goes last", async () => {
    const hlsDir = tempDir();
    const root = `${randomUUID()}/hls/m/a`;
    mkdirSync(join(hlsDir, "720p"));
    const order: string[] = [];
    const proxy = await faultyProxy(s3.endpoint, (req) => {
      if (req.method === "PUT") order.push(decodeURIComponent(req.url!.split("/").slice(-1)[0]!));
      return "pass";
    });
    const uploader = new OutputUploader({ media: s3.store("media", proxy.endpoint), archive: null }, 4);
    const stop = uploader.watch(hlsDir, root, 20);
    const seg = (n: number) => join(hlsDir, "720p", `seg_0000${n}.ts`);
    writeFileSync(seg(0), "segment 0");
    writeFileSync(seg(1), "segment 1, still being written");
    writeFileSync(join(hlsDir, "720p/index.m3u8"), "#EXTM3U\n#EXTINF:6,\nseg_00000.ts\n");
    await until(() => uploader.stats.early === 1);
    // seg 1 is not in the playlist yet: FFmpeg may still be writing it.
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(["seg_00000.ts"]);
    writeFileSync(join(hlsDir, "720p/index.m3u8"), "#EXTM3U\n#EXTINF:6,\nseg_00000.ts\n#EXTINF:6,\nseg_00001.ts\n#EXT-X-ENDLIST\n");
    await until(() => uploader.stats.early === 2);
    await stop();
    writeFileSync(join(hlsDir, "master.m3u8"), "#EXTM3U\n");
    const files = ["720p/seg_00000.ts", "720p/seg_00001.ts", "720p/index.m3u8", "master.m3u8"].map((f) => ({
      bucket: "media" as const,
      key: `${root}/${f}`,
      path: join(hlsDir, f),
    }));
    const stats = await uploader.uploadAll(files);
    expect(stats).toMatchObject({ files: 4, early: 2 });
    expect(order).toEqual(["seg_00000.ts", "seg_00001.ts", "index.m3u8", "master.m3u8"]);
    await proxy.close();
  });
});
