import { describe, expect, it } from "vitest";
import { BLACK_LUMA } from "../../src/stills-args.ts";
import { fixture, meanLuma, transcode } from "../support.ts";

describe("a thumbnail is never a black frame when there is a picture to show", () => {
  it("a video opening on 3 s of black: the first frame that is not black after the 10 % mark, and its time", async () => {
    const src = fixture("black-open.mp4");
    // The frame at 10 % (1 s) really is black.
    expect(meanLuma(src)).toBeLessThanOrEqual(BLACK_LUMA);
    const r = await transcode(src, { archive: false });
    expect(r.output.thumbnailSeconds).toBeGreaterThanOrEqual(3);
    expect(r.output.thumbnailSeconds).toBeLessThan(3.2);
    expect(meanLuma(r.path(r.output.thumbnailKey!))).toBeGreaterThan(BLACK_LUMA + 20);
  });

  it("a video with a picture at 10 % keeps the 10 % rule", async () => {
    const r = await transcode(fixture("small.mp4"), { archive: false });
    expect(r.output.thumbnailSeconds).toBeCloseTo(1.3, 1);
  });
});
