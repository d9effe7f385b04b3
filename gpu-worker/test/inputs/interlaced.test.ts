import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffmpegStderr, ffprobeJson, fixture, joinedSegments, transcode } from "../support.ts";

/** idet's verdict over a rung's whole output. */
function combedFrames(file: string) {
  const m = /Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)/.exec(ffmpegStderr(["-i", file, "-vf", "idet", "-an", "-f", "null", "-"]))!;
  return { combed: Number(m[1]) + Number(m[2]), progressive: Number(m[3]) };
}

describe("interlaced sources are deinterlaced, and flagged progressive", () => {
  it("1080i25 MPEG-TS (field_order tt): every rung progressive by idet and by its flags, and a thumbnail", async () => {
    const src = fixture("interlaced-1080i25.ts");
    expect(combedFrames(src).combed).toBeGreaterThan(100); // of 150
    const r = await transcode(src, { archive: false });
    expect(r.output.readyVariants).toEqual(["1080p", "720p", "480p", "360p"]);
    for (const rung of ["1080p", "360p"]) {
      const joined = joinedSegments(join(r.path(r.output.hlsMasterKey), "..", rung, "index.m3u8"), join(r.job.outDir, `${rung}.ts`));
      const verdict = combedFrames(joined);
      expect(verdict.combed, rung).toBeLessThan(verdict.progressive / 20);
      const v = ffprobeJson(joined).streams.find((s: any) => s.codec_type === "video");
      expect(v.field_order ?? "progressive", rung).toBe("progressive");
    }
    expect(ffprobeJson(r.path(r.output.thumbnailKey!)).streams[0]).toMatchObject({ width: 1280, height: 720 });
  });

  it("combed pictures in a stream flagged progressive are found by idet and deinterlaced", async () => {
    const src = fixture("interlaced-unflagged.mp4");
    expect(ffprobeJson(src).streams[0].field_order).toBe("progressive");
    const r = await transcode(src, { archive: false });
    const joined = joinedSegments(join(r.path(r.output.hlsMasterKey), "..", "720p", "index.m3u8"), join(r.job.outDir, "720p.ts"));
    const verdict = combedFrames(joined);
    expect(verdict.combed).toBeLessThan(verdict.progressive / 20);
  });
});
