import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffmpegStderr, fixture, joinedSegments, playlistSeconds, playlistsOf, transcode } from "../support.ts";

/** RMS level (dBFS) of an audio file between two times, by astats. */
function rmsDb(file: string, from: number, to: number): number {
  const err = ffmpegStderr(["-i", file, "-af", `atrim=start=${from}:end=${to},astats=measure_perchannel=none`, "-f", "null", "-"]);
  const m = /RMS level dB:\s*(-?[\d.]+|-inf)/.exec(err)!;
  return m[1] === "-inf" ? -Infinity : Number(m[1]);
}

// Choice (README, "Outputs"): the item is as long as its video. Sound that starts late or ends
// early is filled with silence in place; sound that runs past the picture is cut where it ends.
describe("audio and video of different lengths give one length for every playlist", () => {
  it("sound starting 2 s late: silence for 2 s, then the tone, and every playlist 10 s", async () => {
    const r = await transcode(fixture("late-audio.mp4"), { archive: false });
    expect(r.output.durationSeconds).toBeCloseTo(10, 1);
    const lengths = playlistsOf(r.path(r.output.hlsMasterKey)).map(playlistSeconds);
    for (const l of lengths) expect(l).toBeCloseTo(10, 1);
    const audio = joinedSegments(join(r.path(r.output.hlsMasterKey), "..", "audio", "index.m3u8"), join(r.job.outDir, "audio.ts"));
    // Sync: the tone is where it was against the picture (2–8 s), silence around it.
    expect(rmsDb(audio, 0.1, 1.9)).toBeLessThan(-60);
    expect(rmsDb(audio, 2.1, 7.9)).toBeGreaterThan(-30);
    expect(rmsDb(audio, 8.1, 9.9)).toBeLessThan(-60);
  });

  it("5 s of video with 9 s of sound: playlists of 5 s and durationSeconds 5", async () => {
    const r = await transcode(fixture("long-audio.mkv"), { archive: false });
    expect(r.output.durationSeconds).toBeCloseTo(5, 1);
    for (const l of playlistsOf(r.path(r.output.hlsMasterKey)).map(playlistSeconds)) expect(l).toBeCloseTo(5, 1);
  });
});
