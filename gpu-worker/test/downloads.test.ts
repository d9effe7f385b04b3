import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { downloadsRoot } from "../../src/contract/index.ts";
import { downloadArgs, downloadMaster } from "../src/outputs/downloads.ts";
import { fanout, ffprobeJson, fixture, transcode } from "./support.ts";

/** The decoded frames' MD5s of a file's first video (or audio) stream, in order, timestamps aside. */
function frameHashes(input: string[], stream: "v" | "a" = "v"): string[] {
  const out = execFileSync("ffmpeg", ["-v", "error", "-nostdin", ...input, "-map", `0:${stream}:0`, "-f", "framemd5", "-"], { encoding: "utf8", maxBuffer: 64 << 20 });
  return out.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").pop()!.trim());
}
const hls = (playlist: string) => ["-f", "hls", "-i", playlist];
const startOf = (path: string, type: "video" | "audio") => Number(ffprobeJson(path).streams.find((s: any) => s.codec_type === type).start_time);

describe("download arguments", () => {
  it("remux the rung with the main sound, index first; the M4A is the sound alone", () => {
    expect(downloadArgs({ input: "/h/.download-720p.m3u8", picture: true, output: "/d/720p.mp4", base: ["-hide_banner"] })).toEqual([
      "-hide_banner", "-f", "hls", "-i", "/h/.download-720p.m3u8", "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-movflags", "+faststart", "-y", "/d/720p.mp4",
    ]);
    expect(downloadArgs({ input: "/h/audio/index.m3u8", picture: false, output: "/d/audio.m4a", base: [] })).toEqual([
      "-f", "hls", "-i", "/h/audio/index.m3u8", "-map", "0:a:0", "-c", "copy", "-movflags", "+faststart", "-y", "/d/audio.m4a",
    ]);
    expect(downloadMaster("720p", true)).toBe('#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"\n720p/index.m3u8\n');
    expect(downloadMaster("360p", false)).toBe("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n");
  });
});

describe("MP4 downloads of a one-job item (every rung and the M4A)", async () => {
  const r = await transcode(fixture("hd.mp4"), { archive: false, downloads: { mp4: "all", audio: true } });
  const hlsDir = dirname(r.path(r.output.hlsMasterKey));

  it("are one file per rung and the M4A, in the attempt's downloads folder, listed with their sizes", () => {
    expect(r.output.downloads.map((d) => d.name)).toEqual(["1080p.mp4", "720p.mp4", "480p.mp4", "360p.mp4", "audio.m4a"]);
    for (const d of r.output.downloads) {
      expect(d.key).toBe(`${downloadsRoot(r.job)}/${d.name}`);
      expect(d.bytes).toBe(statSync(r.path(d.key)).size);
      expect(r.files.some((f) => f.key === d.key)).toBe(true);
    }
    expect(r.output.downloads[1]).toMatchObject({ width: 1280, height: 720 });
    expect(r.output.downloads[4]).toMatchObject({ width: null, height: null });
  });

  it("each MP4 has its rung's frames (the same encode), the item's length, the sound in sync, and its index first", () => {
    for (const d of r.output.downloads.filter((x) => x.name.endsWith(".mp4"))) {
      const path = r.path(d.key);
      const rung = d.name.replace(".mp4", "");
      const probe = ffprobeJson(path);
      expect(probe.streams.map((s: any) => s.codec_type).sort()).toEqual(["audio", "video"]);
      expect(probe.streams.find((s: any) => s.codec_type === "video")).toMatchObject({ codec_name: "h264", width: d.width, height: d.height });
      expect(Math.abs(Number(probe.format.duration) - r.output.durationSeconds)).toBeLessThan(0.1);
      expect(frameHashes(["-i", path])).toEqual(frameHashes(hls(join(hlsDir, rung, "index.m3u8"))));
      // The picture against the sound as the HLS stream has them (first segments), to a millisecond.
      const hlsOffset = startOf(join(hlsDir, rung, "seg_00000.ts"), "video") - startOf(join(hlsDir, "audio", "seg_00000.ts"), "audio");
      expect(Math.abs(startOf(path, "video") - startOf(path, "audio") - hlsOffset)).toBeLessThan(0.001);
      const head = readFileSync(path).subarray(0, 1 << 16).toString("latin1");
      expect(head.indexOf("moov")).toBeGreaterThan(0);
      expect(head.indexOf("moov")).toBeLessThan(head.indexOf("mdat") === -1 ? Infinity : head.indexOf("mdat"));
    }
  });

  it("the M4A is the sound's own samples, the item's length", () => {
    const m4a = r.path(r.output.downloads.find((d) => d.name === "audio.m4a")!.key);
    expect(ffprobeJson(m4a).streams.map((s: any) => `${s.codec_type}/${s.codec_name}`)).toEqual(["audio/aac"]);
    expect(frameHashes(["-i", m4a], "a")).toEqual(frameHashes(hls(join(hlsDir, "audio", "index.m3u8")), "a"));
    expect(Math.abs(Number(ffprobeJson(m4a).format.duration) - r.output.durationSeconds)).toBeLessThan(0.1);
  });

  it("none asked for: none made", async () => {
    const plain = await transcode(fixture("small.mp4"), { archive: false });
    expect(plain.output.downloads).toEqual([]);
  });
});

describe("MP4 downloads of a split video", () => {
  it("the stitched rung's frames across every join, and the item's length", async () => {
    const r = await fanout(fixture("pal-25.mp4"), { chunkSeconds: 6 }, { archive: false, downloads: { mp4: "highest", audio: false } });
    expect(r.plan.chunks.chunks.length).toBeGreaterThan(1);
    expect(r.output.downloads.map((d) => d.name)).toEqual(["360p.mp4"]);
    const path = r.path(r.output.downloads[0]!.key);
    const hlsDir = dirname(r.path(r.output.hlsMasterKey));
    expect(frameHashes(["-i", path])).toEqual(frameHashes(hls(join(hlsDir, "360p", "index.m3u8"))));
    expect(Math.abs(Number(ffprobeJson(path).format.duration) - r.output.durationSeconds)).toBeLessThan(0.1);
  }, 120_000);
});
