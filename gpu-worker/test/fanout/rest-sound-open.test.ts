import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputKeys } from "../../../src/contract/index.ts";
import { planFanout, runRest } from "../../src/fanout/steps.ts";
import { fixture, jobFor, mediaPlaylist } from "../support.ts";

// The whole-file job of a split video finishes before the chunks do. Its sound must then still be
// an open (EVENT) playlist: shaka-player turns an item into VOD of what it has once every playlist
// it is reading has EXT-X-ENDLIST, and while it switches variants it reads only the sound's.
describe("the whole-file job's sound", () => {
  it("is left EVENT, every segment listed, no EXT-X-ENDLIST; the preview is done (VOD)", async () => {
    const job = jobFor(fixture("pal-25.mp4"), { archive: false });
    const plan = await planFanout(job, { chunkSeconds: 6 });
    const rest = await runRest(job, plan);
    const hls = join(job.outDir, outputKeys(job).hlsRoot);
    const sound = readFileSync(join(hls, "audio/index.m3u8"), "utf8");
    expect(sound).toContain("#EXT-X-PLAYLIST-TYPE:EVENT");
    expect(sound).not.toContain("#EXT-X-ENDLIST");
    const listed = mediaPlaylist(join(hls, "audio/index.m3u8"));
    expect(listed.map((s) => s.uri)).toEqual(rest.audioStats!["audio/index.m3u8"]!.segments.map((s) => s.uri));
    expect(listed.reduce((t, s) => t + s.duration, 0)).toBeCloseTo(14, 1);
    const preview = readFileSync(join(job.outDir, outputKeys(job).hlsPreview), "utf8");
    expect(preview).toContain("#EXT-X-ENDLIST");
  }, 120_000);
});
