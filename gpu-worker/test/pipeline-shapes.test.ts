import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffprobeJson, firstFrameIsKey, fixture, mediaPlaylist, transcode } from "./support.ts";

const firstSegment = (r: Awaited<ReturnType<typeof transcode>>, rung: string) => {
  const dir = join(dirname(r.path(r.output.hlsMasterKey)), rung);
  return join(dir, mediaPlaylist(join(dir, "index.m3u8"))[0]!.uri);
};
const videoStream = (file: string) => ffprobeJson(file).streams.find((s: any) => s.codec_type === "video");

describe("source shapes", () => {
  it("640×360 gets only the 360p rung", async () => {
    const r = await transcode(fixture("small.mp4"), { archive: false });
    expect(r.output.readyVariants).toEqual(["360p"]);
    expect(r.output.mezzanineKey).toBeNull();
    const dir = join(dirname(r.path(r.output.hlsMasterKey)), "360p");
    const segs = mediaPlaylist(join(dir, "index.m3u8"));
    expect(segs.length).toBeGreaterThanOrEqual(3);
    for (const s of segs) {
      expect(s.duration).toBeLessThanOrEqual(6.5);
      expect(firstFrameIsKey(join(dir, s.uri))).toBe(true);
    }
  });

  it("portrait keeps its orientation on every rung", async () => {
    const r = await transcode(fixture("portrait.mp4"), { archive: false });
    expect(r.output.readyVariants).toEqual(["720p", "480p", "360p"]);
    expect(videoStream(firstSegment(r, "720p"))).toMatchObject({ width: 720, height: 1280 });
    expect(videoStream(firstSegment(r, "360p"))).toMatchObject({ width: 360, height: 640 });
  });

  it("a rotated clip has the rotation baked into the pixels", async () => {
    const r = await transcode(fixture("rotated.mp4"), { archive: false });
    expect(r.output).toMatchObject({ width: 720, height: 1280 });
    const v = videoStream(firstSegment(r, "720p"));
    expect(v).toMatchObject({ width: 720, height: 1280 });
    expect(JSON.stringify(v.side_data_list ?? [])).not.toContain("rotation");
    expect(ffprobeJson(r.path(r.output.thumbnailKey!)).streams[0]).toMatchObject({ width: 720, height: 1280 });
  });

  it("a video without an audio track: no audio group, loudness null", async () => {
    const r = await transcode(fixture("silent.mp4"));
    expect(r.output.loudness).toBeNull();
    const master = (await import("node:fs")).readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    expect(master).not.toContain("EXT-X-MEDIA");
    expect(master).toContain('CODECS="avc1.64001e"');
    expect(ffprobeJson(r.path(r.output.mezzanineKey!)).streams).toHaveLength(1);
  });

  it("odd dimensions and 4:4:4 become even 4:2:0, never above the source", async () => {
    const r = await transcode(fixture("odd.mp4"), { archive: false });
    expect(videoStream(firstSegment(r, "360p"))).toMatchObject({ width: 640, height: 360, pix_fmt: "yuv420p" });
  });

  it("a 10-bit source becomes 8-bit 4:2:0, and the mezzanine is re-encoded (FFV1 cannot be remuxed to MP4)", async () => {
    const r = await transcode(fixture("tenbit.mkv"));
    expect(videoStream(firstSegment(r, "360p"))).toMatchObject({ pix_fmt: "yuv420p", profile: "High" });
    const mezz = ffprobeJson(r.path(r.output.mezzanineKey!)).streams.map((s: any) => s.codec_name).sort();
    expect(mezz).toEqual(["aac", "h264"]);
  });

  it("a 1-second clip still gets a full set of outputs", async () => {
    const r = await transcode(fixture("one-second.mp4"));
    expect(r.output.durationSeconds).toBeCloseTo(1, 1);
    const segs = mediaPlaylist(join(dirname(r.path(r.output.hlsMasterKey)), "360p/index.m3u8"));
    expect(segs).toHaveLength(1);
    expect(ffprobeJson(r.path(r.output.thumbnailKey!)).streams[0].codec_name).toBe("mjpeg");
  });
});
