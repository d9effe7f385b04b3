import { describe, expect, it } from "vitest";
import { useFakeRunpod, payloadFor, sendCallback, statusOf, transcodingItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();

describe("a completed callback naming keys that are not this item's and attempt's", () => {
  it("is refused (INVALID_OUTPUT), stores nothing, and the item still takes its real completion", async () => {
    const { item, job } = await transcodingItem(runpod);
    const other = { ...job.input, mediaId: uuid() };
    const forged = payloadFor(job, { status: "completed", output: videoOutput(job.input, { hlsMasterKey: videoOutput(other).hlsMasterKey }) });
    // 200: a refusal is final, so the worker does not send it again.
    const res = await sendCallback(forged);
    expect(res).toMatchObject({ status: 200, body: { outcome: "refused", code: "INVALID_OUTPUT", reason: expect.stringContaining("hlsMasterKey") } });
    expect(await statusOf(item)).toMatchObject({ status: "transcoding" });

    const real = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(real.body).toMatchObject({ outcome: "applied" });
    expect(await statusOf(item)).toMatchObject({ status: "ready" });
  });

  it("another attempt's thumbnail, or the original as the mezzanine, is refused the same way", async () => {
    const { item, job } = await transcodingItem(runpod);
    for (const over of [
      { thumbnailKey: videoOutput({ ...job.input, attemptId: uuid() }).thumbnailKey },
      { mezzanineKey: job.input.inputKey },
    ]) {
      const res = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input, over) }));
      expect(res.body).toMatchObject({ outcome: "refused", code: "INVALID_OUTPUT" });
    }
    expect((await statusOf(item)).status).toBe("transcoding");
  });
});
