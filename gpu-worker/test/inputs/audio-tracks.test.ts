import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffmpegStderr, fixture, joinedSegments, playlistSeconds, transcode } from "../support.ts";

/** Mean volume (dB) of a file through a narrow band-pass around `hz`. */
function bandDb(file: string, hz: number): number {
  const err = ffmpegStderr(["-i", file, "-af", `bandpass=f=${hz}:width_type=q:w=8,volumedetect`, "-f", "null", "-"]);
  return Number(/mean_volume:\s*(-?[\d.]+) dB/.exec(err)![1]);
}

describe("several audio tracks", () => {
  it("the track flagged default (English, 2 kHz) is the one encoded and measured, not the first (a 300 Hz commentary)", async () => {
    const src = fixture("two-tracks.mkv");
    const r = await transcode(src, { archive: false });
    const audio = joinedSegments(join(r.path(r.output.hlsMasterKey), "..", "audio", "index.m3u8"), join(r.job.outDir, "audio.ts"));
    expect(bandDb(audio, 2000) - bandDb(audio, 300)).toBeGreaterThan(20);
    // Loudness is of the default track: FFmpeg's own ebur128 over stream 2 of the source.
    const err = ffmpegStderr(["-i", src, "-map", "0:2", "-af", "ebur128=peak=true", "-f", "null", "-"]);
    const integrated = Number(/I:\s+(-?[\d.]+) LUFS\s+Threshold[\s\S]*$/.exec(err.slice(err.lastIndexOf("Summary:")))![1]);
    expect(r.output.loudness!.integrated).toBeCloseTo(integrated, 1);
  });

  it("every track is an alternate audio rendition with its language and name, the default one first", async () => {
    const r = await transcode(fixture("two-tracks.mkv"), { archive: false });
    const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    const media = master.split("\n").filter((l) => l.startsWith("#EXT-X-MEDIA:TYPE=AUDIO"));
    expect(media).toHaveLength(2);
    expect(media[0]).toMatch(/NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio\/index.m3u8"/);
    expect(media[1]).toMatch(/NAME="Commentaire",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio_1\/index.m3u8"/);
    const root = join(r.path(r.output.hlsMasterKey), "..");
    const commentary = joinedSegments(join(root, "audio_1", "index.m3u8"), join(r.job.outDir, "audio_1.ts"));
    expect(bandDb(commentary, 300) - bandDb(commentary, 2000)).toBeGreaterThan(20);
    expect(playlistSeconds(join(root, "audio_1", "index.m3u8"))).toBeCloseTo(playlistSeconds(join(root, "360p", "index.m3u8")), 1);
  });
});
