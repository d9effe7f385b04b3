import { describe, expect, it } from "vitest";
import { useFakeRunpod, hooksWhen, payloadFor, readyItem, sendCallback, transcodingItem } from "../helpers.ts";

const runpod = useFakeRunpod();

describe("outbound webhooks: delivery", () => {
  it("every state change reaches each subscriber once, signed (verified by the standardwebhooks library), in order", async () => {
    const { item } = await readyItem(runpod);
    const order = ["media.uploaded", "media.transcoding", "media.progress", "media.playable", "media.ready"];
    for (const subscriber of ["a", "b"] as const) {
      const hooks = await hooksWhen(item.id, subscriber, order);
      expect(hooks.every((h) => h.verified && h.answered === 204)).toBe(true);
      expect(hooks.map((h) => h.type)).toEqual(order);
      // Progress at most every 10 s: three reports within a second give one.
      expect(hooks.filter((h) => h.type === "media.progress")).toHaveLength(1);
      const ready = JSON.parse(hooks.at(-1)!.body);
      expect(ready).toMatchObject({ type: "media.ready", data: { mediaId: item.id, status: "ready", previousStatus: "transcoding", percent: 100 } });
      expect(ready.data.output.hlsMasterKey).toMatch(new RegExp(`^${item.creatorId}/hls/${item.id}/`));
      expect(Math.abs(hooks[0]!.timestamp * 1000 - Date.now())).toBeLessThan(60_000);
    }
    // One message, one webhook-id, whoever receives it.
    const [a, b] = [await hooksWhen(item.id, "a", order), await hooksWhen(item.id, "b", order)];
    expect(a.map((h) => h.id)).toEqual(b.map((h) => h.id));
    expect(new Set(a.map((h) => h.id)).size).toBe(5);
  });

  it("a failure is told as media.failed, with the error", async () => {
    const { item, job } = await transcodingItem(runpod);
    await sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "encoder crashed", retriable: true } }));
    const hooks = await hooksWhen(item.id, "a", ["media.failed"]);
    const failed = JSON.parse(hooks.find((h) => h.type === "media.failed")!.body);
    expect(failed.data).toMatchObject({ mediaId: item.id, creatorId: item.creatorId, status: "failed", previousStatus: "transcoding", error: { code: "ENCODE_FAILED", message: "encoder crashed" } });
  });
});
