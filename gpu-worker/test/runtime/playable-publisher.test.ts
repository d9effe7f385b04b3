import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { playlistSegments } from "../../../src/contract/index.ts";
import { PlayablePublisher } from "../../src/runtime/playable-publisher.ts";

/** FFmpeg's local playlist as the HLS muxer rewrites it after each closed segment. */
const local = (n: number, d = 6) =>
  ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD", ...Array.from({ length: n }, (_, i) => [`#EXTINF:${d.toFixed(6)},`, `seg_${String(i).padStart(5, "0")}.ts`]).flat(), ""].join("\n");

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function setup() {
  const hlsDir = await mkdtemp(join(tmpdir(), "publisher-"));
  dirs.push(hlsDir);
  for (const d of ["720p", "360p", "audio"]) await mkdir(join(hlsDir, d));
  const put = new Map<string, string>();
  const puts: string[] = [];
  const uploaded = new Set<string>();
  const playable: number[] = [];
  const publisher = new PlayablePublisher(hlsDir, "root/hls", {
    put: async (key, text) => {
      put.set(key, text);
      puts.push(key);
    },
    uploaded: (key) => uploaded.has(key),
    onPlayable: (s) => playable.push(s),
  });
  publisher.expect({ playlists: ["720p/index.m3u8", "360p/index.m3u8", "audio/index.m3u8"], master: "#EXTM3U\nmaster\n", lengthSeconds: 60 });
  return { hlsDir, put, puts, uploaded, playable, publisher };
}

describe("the publisher of a job's growing playlists", () => {
  it("publishes each playlist's uploaded prefix as EVENT, never past a gap; the master once every playlist has begun", async () => {
    const t = await setup();
    for (const d of ["720p", "360p", "audio"]) await writeFile(join(t.hlsDir, d, "index.m3u8"), local(3));
    // 720p: segments 0 and 2 up, 1 not (a gap); 360p: 0–2; audio: none yet.
    for (const k of ["720p/seg_00000.ts", "720p/seg_00002.ts", "360p/seg_00000.ts", "360p/seg_00001.ts", "360p/seg_00002.ts"]) t.uploaded.add(`root/hls/${k}`);
    await t.publisher.publish();
    expect(playlistSegments(t.put.get("root/hls/720p/index.m3u8")!).map((s) => s.uri)).toEqual(["seg_00000.ts"]);
    expect(playlistSegments(t.put.get("root/hls/360p/index.m3u8")!)).toHaveLength(3);
    expect(t.put.get("root/hls/720p/index.m3u8")).toContain("#EXT-X-PLAYLIST-TYPE:EVENT");
    expect(t.put.get("root/hls/720p/index.m3u8")).not.toContain("#EXT-X-ENDLIST");
    // The audio has nothing up: no master, not playable.
    expect(t.put.has("root/hls/master.m3u8")).toBe(false);
    expect(t.playable).toEqual([]);

    t.uploaded.add("root/hls/audio/seg_00000.ts");
    t.uploaded.add("root/hls/720p/seg_00001.ts");
    await t.publisher.publish();
    expect(playlistSegments(t.put.get("root/hls/720p/index.m3u8")!)).toHaveLength(3);
    expect(t.put.get("root/hls/master.m3u8")).toBe("#EXTM3U\nmaster\n");
    // Playable as far as the shortest: the audio's one segment.
    expect(t.playable).toEqual([6]);
    // The master went up after the playlists it names had begun.
    expect(t.puts.indexOf("root/hls/master.m3u8")).toBeGreaterThan(t.puts.indexOf("root/hls/audio/index.m3u8"));

    // Nothing new: nothing written again, nothing told.
    const count = t.puts.length;
    await t.publisher.publish();
    expect(t.puts.length).toBe(count);
    expect(t.playable).toEqual([6]);
  });

  it("a failed write is tried at the next pass and never fails the job", async () => {
    const t = await setup();
    let fail = true;
    const publisher = new PlayablePublisher(t.hlsDir, "root/hls", {
      put: async (key, text) => {
        if (fail) throw new Error("storage down");
        t.put.set(key, text);
      },
      uploaded: () => true,
      onPlayable: (s) => t.playable.push(s),
    });
    publisher.expect({ playlists: ["720p/index.m3u8"], master: "m", lengthSeconds: 60 });
    await writeFile(join(t.hlsDir, "720p", "index.m3u8"), local(2));
    await expect(publisher.publish()).resolves.toBeUndefined();
    expect(t.playable).toEqual([]);
    fail = false;
    await publisher.publish();
    expect(t.playable).toEqual([12]);
  });
});
