import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../../src/errors.ts";
import { runPipeline } from "../../src/pipeline.ts";
import { fixture, jobFor, tempDir, transcode } from "../support.ts";

const failure = (input: string) => runPipeline(jobFor(input)).then(() => null, (e: unknown) => e as PipelineError);

describe("a still image is not a video", () => {
  it("a PNG or a JPEG uploaded as video fails NOT_A_VIDEO, saying it is a still image", async () => {
    for (const name of ["still.png", "still.jpg"]) {
      const e = await failure(fixture(name));
      expect(e, name).toBeInstanceOf(PipelineError);
      expect(e, name).toMatchObject({ code: "NOT_A_VIDEO", retriable: false, message: expect.stringMatching(/still image/) });
    }
  });

  it("the same PNG under a video file name is still named a still image", async () => {
    const disguised = join(tempDir(), "holiday.mp4");
    execFileSync("cp", [fixture("still.png"), disguised]);
    expect(await failure(disguised)).toMatchObject({ code: "NOT_A_VIDEO" });
  });

  it("an audio file with cover art stays audio", async () => {
    const withCover = join(tempDir(), "song.m4a");
    execFileSync("ffmpeg", ["-v", "error", "-i", fixture("voice.m4a"), "-i", fixture("still.jpg"), "-map", "0:a", "-map", "1:v", "-c", "copy", "-disposition:v:0", "attached_pic", "-y", withCover]);
    const r = await transcode(withCover, { mediaType: "audio", archive: false });
    expect(r.output).toMatchObject({ mediaType: "audio", readyVariants: ["audio"] });
  });
});
