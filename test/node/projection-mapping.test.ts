import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { MediaItemRow } from "../../schema/index.ts";
import { projectionRow } from "../../src/objects/projection-row.ts";
import { recordFromRow } from "../../src/objects/record.ts";
import { output, snapshotIn } from "../machine/fixtures.ts";

/** The row the upload service wrote, then the projection of `state` written over it. */
function rowOf(state: "ready" | "failed", context: ReturnType<typeof snapshotIn>["context"]): MediaItemRow {
  const base = {
    id: context.mediaId, creatorId: context.creatorId, mediaType: context.mediaType, r2Key: context.inputKey,
    originalFilename: "in.mp4", originalSize: 10, contentType: "video/mp4", durationSeconds: null, width: null, height: null,
    createdAt: new Date(), updatedAt: new Date(), deletedAt: null, transcodingPriority: "standard", projectionVersion: 7,
  };
  return { ...base, ...projectionRow(state, context) } as MediaItemRow;
}

describe("row ↔ context: one mapping, both ways", () => {
  it("a ready item's output comes back from its row as it went in (loudness to the hundredth)", () => {
    const out = output({ loudness: { integrated: -16.04, truePeak: -1.52, range: 4.3 }, mezzanineKey: "mezzanine/x.mp4", readyVariants: ["1080p", "720p", "480p", "360p"] });
    const ready = snapshotIn("ready", { output: out, attemptId: randomUUID() }).context;
    const back = recordFromRow(rowOf("ready", ready));
    expect(back.value).toBe("ready");
    expect(back.version).toBe(7);
    expect(back.context.output).toEqual(out);
    expect(back.context).toMatchObject({ attemptId: ready.attemptId, retriesUsed: ready.retriesUsed, mediaId: ready.mediaId });
  });

  it("an audio item without loudness or dimensions keeps its nulls", () => {
    const out = output({ mediaType: "audio", loudness: null, width: null, height: null, thumbnailKey: null, waveformKey: "w.json", waveformImageKey: "w.png", encoder: null, readyVariants: ["audio"] });
    const ready = snapshotIn("ready", { output: out, mediaType: "audio" }).context;
    expect(recordFromRow(rowOf("ready", ready)).context.output).toEqual(out);
  });

  it("a failed item's error comes back with its code; an unknown code reads as INTERNAL", () => {
    const failed = snapshotIn("failed", { error: { code: "INPUT_UNREADABLE", message: "moov atom not found", retriable: true } }).context;
    expect(recordFromRow(rowOf("failed", failed)).context.error).toEqual({ code: "INPUT_UNREADABLE", message: "moov atom not found", retriable: true });
    const odd = { ...rowOf("failed", failed), transcodingErrorCode: "SOMETHING_NEW" };
    expect(recordFromRow(odd).context.error?.code).toBe("INTERNAL");
  });
});
