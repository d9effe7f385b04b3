import { describe, expect, it } from "vitest";
import { FileKeyCache, type FileKeys } from "../../src/admin/file-keys.ts";

const keys = (root: string): FileKeys => ({ creatorId: "c", attemptId: "a", thumbnailKey: null, waveformKey: null, waveformImageKey: null, storyboardKey: null, storyboardVttKey: null, hlsMasterPlaylistKey: `${root}/master.m3u8` });

describe("admin file keys remembered for a few seconds", () => {
  it("reads the row once while fresh, again once stale", async () => {
    let now = 0;
    let loads = 0;
    const cache = new FileKeyCache(10_000, 256, () => now);
    const load = async () => (loads++, keys(`root-${loads}`));
    expect(await cache.get("a", load)).toEqual(keys("root-1"));
    now = 9_999;
    expect(await cache.get("a", load)).toEqual(keys("root-1"));
    expect(loads).toBe(1);
    now = 10_000;
    expect(await cache.get("a", load)).toEqual(keys("root-2"));
    expect(loads).toBe(2);
  });

  it("does not remember a missing item or one without a playlist yet, and holds at most its bound", async () => {
    let loads = 0;
    const cache = new FileKeyCache(10_000, 2);
    expect(await cache.get("gone", async () => (loads++, null))).toBeNull();
    expect(await cache.get("gone", async () => (loads++, null))).toBeNull();
    expect(loads).toBe(2);
    const pending = { ...keys("x"), hlsMasterPlaylistKey: null };
    await cache.get("pending", async () => pending);
    expect(await cache.get("pending", async () => keys("ready"))).toEqual(keys("ready")); // ready since: read afresh
    for (const id of ["a", "b", "c"]) await cache.get(id, async () => keys(id));
    let reloaded = false;
    await cache.get("a", async () => ((reloaded = true), keys("a"))); // the oldest went
    expect(reloaded).toBe(true);
  });
});
