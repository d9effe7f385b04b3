import { afterEach, describe, expect, it } from "vitest";
import { PipelineError } from "../../src/errors.ts";
import { memoryLimit, setCommandLogger, setMemoryLimit } from "../../src/ffmpeg/spawn.ts";
import { runPipeline } from "../../src/pipeline.ts";
import { MAX_PIXELS } from "../../src/probe.ts";
import { fixture, jobFor } from "../support.ts";

afterEach(() => {
  setMemoryLimit(null);
  setCommandLogger(() => {});
});

describe("pixel bombs and memory", () => {
  it("frames above the pixel limit are refused INPUT_TOO_LARGE before anything decodes them", async () => {
    const lines: string[] = [];
    setCommandLogger((l) => lines.push(l));
    // 2400×2400 (5.8 MP) against a 4 MP limit stands in for 16000×16000 against 36 MP.
    const e = await runPipeline(jobFor(fixture("big-frame.mkv"), { maxPixels: 4_000_000 })).then(() => null, (x: unknown) => x as PipelineError);
    expect(e).toMatchObject({ code: "INPUT_TOO_LARGE", retriable: false, message: expect.stringContaining("2400×2400") });
    expect(lines.filter((l) => l.includes("ffmpeg "))).toEqual([]);
    expect(MAX_PIXELS).toBe(36_000_000);
  });

  it("an FFmpeg child past its memory limit fails the job INPUT_TOO_LARGE with the limit in the message", async () => {
    setMemoryLimit(48 * 2 ** 20);
    expect(memoryLimit()).toBe(48 * 2 ** 20);
    const e = await runPipeline(jobFor(fixture("hd.mp4"), { archive: false })).then(() => null, (x: unknown) => x as PipelineError);
    expect(e).toMatchObject({ code: "INPUT_TOO_LARGE", message: expect.stringMatching(/ran out of memory \(the limit is 48 MiB/) });
  });
});
