import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sniff, sniffRejection, SNIFF_BYTES } from "../../src/contract/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sniff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real file of this container, made by FFmpeg; its first bytes as the upload check reads them. */
function made(name: string, args: string[]): Uint8Array {
  const out = join(dir, name);
  execFileSync("ffmpeg", ["-v", "error", "-y", ...args, out]);
  return readFileSync(out).subarray(0, SNIFF_BYTES);
}
const video = ["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10", "-t", "0.5"];
const audio = ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.5"];

describe("the upload's first-bytes check, on files FFmpeg writes", () => {
  it.each([
    ["a.mp4", video, "video", "isobmff"],
    ["a.mov", video, "video", "isobmff"],
    ["a.mkv", video, "video", "matroska"],
    ["a.webm", [...video, "-c:v", "libvpx"], "video", "matroska"],
    ["a.ts", video, "video", "mpegts"],
    ["a.avi", video, "video", "avi"],
    ["a.flv", video, "video", "flv"],
    ["a.mpg", [...video, "-c:v", "mpeg2video"], "video", "mpegps"],
    ["a.m4a", [...audio, "-c:a", "aac"], "audio", "isobmff"],
    ["a.ogg", [...audio, "-c:a", "libvorbis"], "audio", "ogg"],
    ["a.wav", audio, "audio", "wav"],
    ["a.flac", audio, "audio", "flac"],
    ["a.mp3", [...audio, "-c:a", "libmp3lame"], "audio", "mp3"],
    ["a.aac", [...audio, "-c:a", "aac", "-f", "adts"], "audio", "mpeg-audio"],
  ] as const)("%s is accepted as %s (%s)", (name, args, declared, container) => {
    const head = made(name, [...args]);
    expect(sniff(head)).toMatchObject({ kind: "media", container });
    expect(sniffRejection(head, declared)).toBeNull();
  });

  it("stills, sound declared as video, playlists and noise are refused, each saying why", () => {
    expect(sniffRejection(made("a.png", [...video, "-frames:v", "1"]), "video")).toContain("still image (PNG)");
    expect(sniffRejection(made("a.jpg", [...video, "-frames:v", "1"]), "video")).toContain("still image (JPEG)");
    expect(sniffRejection(made("b.wav", audio), "video")).toContain("audio (wav) but was declared video");
    expect(sniffRejection(new TextEncoder().encode("\ufeff  #EXTM3U\n#EXT-X-VERSION:3\n"), "video")).toContain("playlist");
    expect(sniffRejection(new TextEncoder().encode("ffconcat version 1.0\nfile 'a.ts'\n"), "audio")).toContain("playlist");
    expect(sniffRejection(new TextEncoder().encode("hello, this is text"), "video")).toContain("not those of any video container");
  });
});
