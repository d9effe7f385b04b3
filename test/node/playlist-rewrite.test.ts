import { describe, expect, it } from "vitest";
import { rewritePlaylist } from "../../src/routes/playlist-rewrite.ts";

const BASE = "/play/tok/";

describe("rewritePlaylist", () => {
  it("makes every URI (lines and URI= attributes) an absolute path under the token, resolved from the playlist's folder", () => {
    const out = rewritePlaylist(
      ['#EXTM3U', '#EXT-X-MAP:URI="init.mp4"', '#EXT-X-KEY:METHOD=NONE', '#EXTINF:4,', 'seg_1.m4s', '#EXTINF:4,', './sub/seg_2.m4s', '#EXTINF:4,', '../360p/seg_3.m4s'].join("\n"),
      "720p/index.m3u8",
      BASE,
    );
    expect(out.split("\n")).toEqual(['#EXTM3U', '#EXT-X-MAP:URI="/play/tok/720p/init.mp4"', '#EXT-X-KEY:METHOD=NONE', '#EXTINF:4,', '/play/tok/720p/seg_1.m4s', '#EXTINF:4,', '/play/tok/720p/sub/seg_2.m4s', '#EXTINF:4,', '/play/tok/360p/seg_3.m4s']);
  });

  it("drops what leaves the tree: other hosts, absolute paths, climbing above the root; the tag that described it goes too", () => {
    const out = rewritePlaylist(
      ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=1', 'https://evil.example/x.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=2', '/abs/x.m3u8', '#EXTINF:4,', '../../up.m4s', '#EXT-X-MEDIA:TYPE=AUDIO,URI="//evil.example/a.m3u8"', '#EXT-X-STREAM-INF:BANDWIDTH=3', '360p/index.m3u8'].join("\n"),
      "master.m3u8",
      BASE,
    );
    expect(out.split("\n")).toEqual(['#EXTM3U', '#EXT-X-MEDIA:TYPE=AUDIO,URI=""', '#EXT-X-STREAM-INF:BANDWIDTH=3', '/play/tok/360p/index.m3u8']);
  });

  it("keeps a storyboard cue's fragment", () => {
    expect(rewritePlaylist("storyboard.jpg#xywh=0,0,160,90", "master.m3u8", BASE)).toBe("/play/tok/storyboard.jpg#xywh=0,0,160,90");
  });
});
