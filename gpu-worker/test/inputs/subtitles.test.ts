import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probe } from "../../src/probe.ts";
import { fixture, transcode } from "../support.ts";

/** Cues of a WebVTT file: start, end (s) and text. */
function cues(vtt: string) {
  const t = (s: string) => s.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);
  return [...vtt.matchAll(/^([\d:.]+) --> ([\d:.]+)[^\n]*\n([^\n]+)/gm)].map((m) => ({ start: t(m[1]!), end: t(m[2]!), text: m[3]! }));
}

describe("text subtitles become WebVTT renditions", () => {
  it("SRT and ASS in Matroska: two subtitle renditions with language and name, text and times kept, on the segments' clock", async () => {
    const r = await transcode(fixture("subtitled.mkv"), { archive: false });
    const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    const media = master.split("\n").filter((l) => l.startsWith("#EXT-X-MEDIA:TYPE=SUBTITLES"));
    expect(media).toHaveLength(2);
    expect(media[0]).toContain('NAME="en",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs_1/index.m3u8"');
    expect(media[1]).toContain('NAME="Français",LANGUAGE="fr"');
    for (const l of master.split("\n").filter((x) => x.startsWith("#EXT-X-STREAM-INF"))) expect(l).toContain('SUBTITLES="subs"');
    const root = join(r.path(r.output.hlsMasterKey), "..");
    const en = readFileSync(join(root, "subs_1", "index.vtt"), "utf8");
    expect(en).toMatch(/^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:00:00:00.000\n/);
    const c = cues(en);
    expect(c.map((x) => x.text)).toEqual(["Hello there", "Second line"]);
    // Within the 23 ms AAC priming by which FFmpeg shifts every stream of this file.
    expect(c[0]!.start).toBeCloseTo(0.5, 1);
    expect(c[1]!.end).toBeCloseTo(3.8, 1);
    expect(cues(readFileSync(join(root, "subs_2", "index.vtt"), "utf8"))[0]!.text).toBe("<i>Bonjour</i> à tous"); // ASS italics as WebVTT markup
    expect(readFileSync(join(root, "subs_1", "index.m3u8"), "utf8")).toMatch(/#EXTINF:4\.\d+,\nindex\.vtt\n#EXT-X-ENDLIST/);
    expect(r.output.subtitles).toEqual([
      { language: "en", name: "en", codec: "subrip", status: "converted" },
      { language: "fr", name: "Français", codec: "ass", status: "converted" },
    ]);
  });

  it("mov_text in MP4 (as phones write it) too", async () => {
    const r = await transcode(fixture("subtitled.mp4"), { archive: false });
    const vtt = readFileSync(join(r.path(r.output.hlsMasterKey), "..", "subs_1", "index.vtt"), "utf8");
    expect(cues(vtt).map((x) => x.text)).toEqual(["From the phone"]);
    expect(r.output.subtitles).toMatchObject([{ language: "es", codec: "mov_text", status: "converted" }]);
  });

  it("a bitmap track (PGS) is listed as skipped, never a failure, and the text track beside it is converted", async () => {
    const src = fixture("pgs.mkv");
    expect((await probe(src, { maxDurationSeconds: 60 })).subtitleTracks.map((t) => [t.codec, t.kind])).toEqual([
      ["subrip", "text"],
      ["hdmv_pgs_subtitle", "bitmap"],
    ]);
    const r = await transcode(src, { archive: false });
    expect(r.output.subtitles).toEqual([
      { language: "en", name: "en", codec: "subrip", status: "converted" },
      { language: "de", name: "de", codec: "hdmv_pgs_subtitle", status: "skipped" },
    ]);
    const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    expect(master.split("\n").filter((l) => l.startsWith("#EXT-X-MEDIA:TYPE=SUBTITLES"))).toHaveLength(1);
  });
});
