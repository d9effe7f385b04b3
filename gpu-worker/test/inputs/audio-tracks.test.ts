import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffmpegStderr, fixture, joinedSegments, transcode } from "../support.ts";

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
});
