import { describe, expect, it } from "vitest";
import { progressParser, ProgressTracker, type ProgressEvent } from "../src/progress.ts";

describe("progress", () => {
  it("parses FFmpeg's -progress stream across chunk boundaries", () => {
    const seen: number[] = [];
    const feed = progressParser(10, (f) => seen.push(f));
    feed(Buffer.from("frame=10\nout_time_us=2500"));
    feed(Buffer.from("000\nprogress=continue\nout_time_us=N/A\nout_time_us=5000000\nprogress=end\n"));
    expect(seen).toEqual([0.25, 0.5, 1]);
  });
  it("with a frame rate, counts the first video output's frames instead of out_time (the storyboard's runs ahead)", () => {
    const seen: number[] = [];
    const feed = progressParser(10, (f) => seen.push(f), { fps: 25 });
    feed(Buffer.from("frame=50\nout_time_us=10000000\nprogress=continue\nframe=125\nout_time_us=10000000\nprogress=end\n"));
    expect(seen).toEqual([0.2, 0.5, 1]);
  });
  it("maps phases onto one scale and never goes backwards", () => {
    const events: ProgressEvent[] = [];
    const t = new ProgressTracker((e) => events.push(e));
    t.report("probing", 0);
    t.report("encoding", 0.5);
    t.report("encoding", 0.4);
    t.report("encoding", 0.5);
    t.report("probing", 1);
    t.report("packaging", 1);
    expect(events).toEqual([
      { phase: "probing", percent: 5 },
      { phase: "encoding", percent: 48 },
      { phase: "packaging", percent: 95 },
    ]);
  });
});
