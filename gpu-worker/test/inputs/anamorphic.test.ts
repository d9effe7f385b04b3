import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffprobeJson, fixture, mediaPlaylist, transcode } from "../support.ts";

describe("an anamorphic source (720×576, SAR 64:45, displays 16:9)", () => {
  it("comes out in square pixels at its display aspect, and the master says so", async () => {
    const src = fixture("anamorphic.mp4");
    expect(ffprobeJson(src).streams[0]).toMatchObject({ width: 720, height: 576, sample_aspect_ratio: "64:45" });
    const r = await transcode(src, { archive: false });
    expect(r.output.readyVariants).toEqual(["480p", "360p"]);
    expect(r.output).toMatchObject({ width: 854, height: 480 });
    const root = join(r.path(r.output.hlsMasterKey), "..");
    for (const [rung, w, h] of [["480p", 854, 480], ["360p", 640, 360]] as const) {
      const seg = join(root, rung, mediaPlaylist(join(root, rung, "index.m3u8"))[0]!.uri);
      const v = ffprobeJson(seg).streams.find((s: any) => s.codec_type === "video");
      expect(v, rung).toMatchObject({ width: w, height: h });
      expect(v.sample_aspect_ratio ?? "1:1", rung).toBe("1:1");
    }
    const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    expect(master).toContain("RESOLUTION=854x480");
    expect(master).toContain("RESOLUTION=640x360");
    const thumb = ffprobeJson(r.path(r.output.thumbnailKey!)).streams[0];
    expect(thumb.width / thumb.height).toBeCloseTo(16 / 9, 1);
  });
});
