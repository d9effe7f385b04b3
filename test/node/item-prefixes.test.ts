import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DOWNLOAD_NAMES, downloadKey, itemPrefixes, originalKey, outputKeys } from "../../src/contract/index.ts";

describe("itemPrefixes", () => {
  it("covers every key of an item (the original and each output of any attempt) and nothing of another item", () => {
    const scope = { creatorId: randomUUID(), mediaId: randomUUID(), attemptId: randomUUID() };
    const { media, archive } = itemPrefixes(scope.creatorId, scope.mediaId);
    const k = outputKeys(scope);
    const mediaKeys = [originalKey(scope.creatorId, scope.mediaId, "a.mp4"), k.hlsMaster, k.hlsPreview, `${k.hlsRoot}/360p/seg_001.m4s`, k.thumbnail, k.waveform, k.waveformImage, k.storyboard, k.storyboardVtt, ...DOWNLOAD_NAMES.map((n) => downloadKey(scope, n))];
    for (const key of mediaKeys) expect(media.some((p) => key.startsWith(p)), key).toBe(true);
    expect(archive.some((p) => k.mezzanine.startsWith(p))).toBe(true);
    const other = outputKeys({ ...scope, mediaId: randomUUID() });
    for (const key of [other.hlsMaster, other.thumbnail, other.waveform, downloadKey({ ...scope, mediaId: randomUUID() }, "1080p.mp4")]) expect(media.some((p) => key.startsWith(p)), key).toBe(false);
    expect(archive.some((p) => other.mezzanine.startsWith(p))).toBe(false);
  });
});
