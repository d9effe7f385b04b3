import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../../src/errors.ts";
import { setCommandLogger } from "../../src/ffmpeg/spawn.ts";
import { runPipeline } from "../../src/pipeline.ts";
import { fixture, jobFor, mediaPlaylist, tempDir, transcode } from "../support.ts";

const failure = (input: string) => runPipeline(jobFor(input)).then(() => null, (e: unknown) => e as PipelineError);

describe("a playlist cannot pull another job's files into this one", () => {
  it("an .m3u8 upload naming another job's segment by file:// fails INPUT_UNREADABLE: playlists are not accepted", async () => {
    // Another job's output on the same machine.
    const other = await transcode(fixture("small.mp4"), { archive: false });
    const otherDir = join(other.path(other.output.hlsMasterKey), "..", "360p");
    const segment = join(otherDir, mediaPlaylist(join(otherDir, "index.m3u8"))[0]!.uri);
    const dir = tempDir();
    const crafted = {
      "upload.m3u8": `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:6,\nfile://${segment}\n#EXT-X-ENDLIST\n`,
      // The same under a video name, with a BOM and blank lines first.
      "upload.mp4": `\uFEFF\n\n#EXTM3U\n#EXTINF:6,\nfile://${segment}\n`,
      "list.txt": `ffconcat version 1.0\nfile '${segment}'\n`,
      "list.mkv": `file '${segment}'\n`,
    };
    for (const [name, text] of Object.entries(crafted)) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const e = await failure(path);
      expect(e, name).toMatchObject({ code: "INPUT_UNREADABLE", retriable: false, message: expect.stringMatching(/playlists are not accepted/) });
    }
  });

  it("every command that opens the original forces the demuxer the probe chose", async () => {
    const lines: string[] = [];
    setCommandLogger((l) => lines.push(l));
    try {
      const job = jobFor(fixture("small.mp4"));
      await runPipeline(job);
      const opening = lines.filter((l) => l.includes(` -i ${job.input}`));
      expect(opening.length).toBeGreaterThanOrEqual(4); // interlace check, loudness, ladder, thumbnail, mezzanine
      for (const l of opening) expect(l).toMatch(new RegExp(`-f mov .*-i ${job.input}`));
      expect(lines.find((l) => l.startsWith("$ ffprobe"))).toContain("-format_whitelist");
    } finally {
      setCommandLogger(() => {});
    }
  });
});
