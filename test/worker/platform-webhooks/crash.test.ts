import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { useFakeRunpod, hooksWhen, readyItem, receivedHooks, setSubscriber, uuid } from "../helpers.ts";

const runpod = useFakeRunpod();

describe("outbound webhooks: the object crashes with messages owed", () => {
  it("loses none: they were persisted with the transitions, and the alarm of the restarted object sends them in order", async () => {
    const creatorId = uuid();
    await setSubscriber(creatorId, "down");
    const { item } = await readyItem(runpod, creatorId);
    const order = ["media.uploaded", "media.transcoding", "media.progress", "media.playable", "media.ready"];
    await hooksWhen(item.id, "a", order);
    // Every object's memory is gone (in-flight flushes, the cache); storage and the alarm are not.
    await abortAllDurableObjects();
    await setSubscriber(creatorId, "up");
    const hooks = await hooksWhen(item.id, "b", order);
    expect(hooks.filter((h) => h.answered < 300).map((h) => h.type)).toEqual(order);
    expect((await receivedHooks(item.id)).every((h) => h.verified)).toBe(true);
  });
});
