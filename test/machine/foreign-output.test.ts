import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AT, creatorId, currentAttempt, output, POLICY, sampleEvent, snapshotIn } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";

// A completion is stored and later served as it is: any key in it that is not the contract's for
// this item and attempt would have the platform serve another item's files.
const elsewhere = {
  otherItem: { hlsMasterKey: `${creatorId}/hls/${randomUUID()}/${currentAttempt}/master.m3u8` },
  otherAttempt: { thumbnailKey: `${creatorId}/thumbnails/media/x/${randomUUID()}/auto-generated.jpg` },
  original: { mezzanineKey: `${creatorId}/originals/x/in.mp4` },
  otherCreator: { waveformKey: `${randomUUID()}/waveforms/x/${currentAttempt}/waveform.json` },
};

describe("a completion naming keys that are not this item's", () => {
  it("is refused with INVALID_OUTPUT and the item stays transcoding, unchanged", () => {
    for (const [name, over] of Object.entries(elsewhere)) {
      const before = snapshotIn("transcoding");
      const { outcome, next } = outcomeOf(before, { ...sampleEvent("COMPLETED"), output: output(over) } as never);
      expect(outcome, name).toMatchObject({ kind: "refused", code: "INVALID_OUTPUT", message: expect.stringContaining(Object.keys(over)[0]!) });
      expect(next.value, name).toBe("transcoding");
      expect(next.context, name).toEqual(before.context);
    }
  });
  it("the contract's own keys (and null where a field does not apply) are taken", () => {
    const { outcome } = outcomeOf(snapshotIn("transcoding"), { ...sampleEvent("COMPLETED"), output: output({ mezzanineKey: null, thumbnailKey: null }) } as never);
    expect(outcome).toMatchObject({ kind: "applied", to: "ready" });
  });
  it("RunPod's stored result with a foreign key is not taken either: the job is given up, not made ready", () => {
    const event = {
      type: "TIMEOUT",
      at: AT + 1e6,
      runpod: { status: "COMPLETED", result: { status: "completed", attemptId: currentAttempt, output: output(elsewhere.otherItem) }, detail: null },
      policy: POLICY,
    } as never;
    const { next } = outcomeOf(snapshotIn("transcoding"), event);
    expect(next.value).toBe("failed");
    expect(next.context.output).toBeNull();
    expect(next.context.error?.code).toBe("INTERNAL");
  });
});
