import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalisationFilter, normalisationTarget, parseEbur128Summary } from "../src/loudness.ts";
import { fixture, transcode } from "./support.ts";

/** Integrated loudness and true peak of an HLS playlist's sound, as FFmpeg's ebur128 reads it. */
function measure(playlist: string) {
  const run = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-i", playlist, "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"], { encoding: "utf8" });
  return parseEbur128Summary(run.stderr)!;
}

// normalizeAudio: false (a music platform's choice): the sound keeps its level; it is still measured and reported.
describe("loudness kept (normalizeAudio: false)", () => {
  it("asks for no gain filter, whatever was measured; the default still normalises", () => {
    const loud = { integrated: -9, truePeak: -3, range: 4, threshold: -19 };
    const job = { loudnessTarget: { integrated: -16, truePeak: -1.5 } };
    expect(normalisationTarget({ ...job, normalizeAudio: false })).toBeNull();
    expect(normalisationFilter(loud, normalisationTarget({ ...job, normalizeAudio: false }))).toEqual({ filter: null, mode: "none" });
    expect(normalisationFilter(loud, normalisationTarget(job)).filter).toBe("volume=-7.00dB");
  });

  it.each([
    ["audio", "voice.m4a"],
    ["video", "small.mp4"],
  ] as const)("an %s job's HLS sound is the source's level, and the source's loudness is reported", async (mediaType, name) => {
    const [kept, normalised] = await Promise.all([
      transcode(fixture(name), { mediaType, normalizeAudio: false, archive: false }),
      transcode(fixture(name), { mediaType, archive: false }),
    ]);
    const keptLevel = measure(join(dirname(kept.path(kept.output.hlsMasterKey)), "audio/index.m3u8"));
    const normalisedLevel = measure(join(dirname(normalised.path(normalised.output.hlsMasterKey)), "audio/index.m3u8"));
    // The sources are far from −16 LUFS, so the two differ plainly.
    expect(Math.abs(kept.output.loudness!.integrated - -16)).toBeGreaterThan(3);
    expect(Math.abs(keptLevel.integrated - kept.output.loudness!.integrated)).toBeLessThan(0.5);
    expect(Math.abs(normalisedLevel.integrated - -16)).toBeLessThan(1);
    // Reported either way, and the same: it is the source's.
    expect(kept.output.loudness).toEqual(normalised.output.loudness);
  }, 120_000);
});
