import { describe, expect, it } from "vitest";
import { chunkSegments, joinPlaylists } from "../../src/fanout/stitch.ts";
import { parseKeyframes, seekPoint, withSeekPoints } from "../../src/fanout/keyframes.ts";
import { planChunks } from "../../src/fanout/chunk-plan.ts";

const playlist = (...segs: [string, number][]) =>
  ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:6", ...segs.flatMap(([u, d]) => [`#EXTINF:${d.toFixed(6)},`, u]), "#EXT-X-ENDLIST"].join("\n");

describe("stitching rung playlists", () => {
  it("joins the chunks' segments end to end, with no discontinuity, ending the list", () => {
    const text = joinPlaylists([chunkSegments(playlist(["seg_00000.ts", 6], ["seg_00001.ts", 6])), chunkSegments(playlist(["seg_00002.ts", 6.006], ["seg_00003.ts", 1.5]))]);
    expect(text).toBe(
      ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:6", "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXTINF:6.000000,", "seg_00000.ts", "#EXTINF:6.000000,", "seg_00001.ts", "#EXTINF:6.006000,", "seg_00002.ts", "#EXTINF:1.500000,", "seg_00003.ts", "#EXT-X-ENDLIST", ""].join("\n"),
    );
    expect(text).not.toContain("DISCONTINUITY");
  });
  it("sets the target duration from the longest segment, rounded (RFC 8216)", () => {
    expect(joinPlaylists([chunkSegments(playlist(["seg_00000.ts", 6.6]))])).toContain("#EXT-X-TARGETDURATION:7");
  });
  it("refuses a gap, a repeat or a name our muxer does not write", () => {
    expect(() => joinPlaylists([chunkSegments(playlist(["seg_00000.ts", 6])), chunkSegments(playlist(["seg_00002.ts", 6]))])).toThrow(/seg_00001/);
    expect(() => joinPlaylists([chunkSegments(playlist(["seg_00000.ts", 6])), chunkSegments(playlist(["seg_00000.ts", 6]))])).toThrow();
    expect(() => chunkSegments(playlist(["../other/seg_00000.ts", 6]))).toThrow(/not a chunk segment/);
    expect(() => chunkSegments(playlist(["https://evil.example/seg_00000.ts", 6]))).toThrow();
    expect(() => chunkSegments("#EXTM3U\nseg_00000.ts\n")).toThrow();
    expect(() => joinPlaylists([])).toThrow();
  });
});

describe("where a chunk seeks", () => {
  it("reads keyframes from ffprobe's packets on the clock the encode uses", () => {
    const json = JSON.stringify({ packets: [{ pts_time: "1.400000", flags: "K_" }, { pts_time: "1.440000", flags: "__" }, { pts_time: "11.400000", flags: "K_" }, { flags: "K_" }], format: { start_time: "1.400000" } });
    expect(parseKeyframes(json)).toEqual([0, 10]);
  });
  it("goes a second before the last keyframe at or before the chunk's start", () => {
    expect(seekPoint(12, [0, 10, 20])).toBe(9);
    expect(seekPoint(10, [0, 10, 20])).toBe(9);
    expect(seekPoint(9.9, [0, 10, 20])).toBe(0);
    expect(seekPoint(5, [])).toBe(0);
  });
  it("leaves the first chunk unsought", () => {
    const plan = withSeekPoints(planChunks({ fps: 30, gop: 60, segmentSeconds: 6, durationSeconds: 30, chunkSeconds: 12 }), [0, 4, 8, 12, 16, 20, 24, 28]);
    expect(plan.chunks.map((c) => c.seekSeconds)).toEqual([0, 11, 23]);
  });
});
