import { describe, expect, it } from "vitest";
import { runDurableObjectAlarm } from "cloudflare:test";
import { adminToken, api, eventually, hooksWhen, readyItem, receivedHooks, setSubscriber, stub, useFakeRunpod, uuid } from "../helpers.ts";

const runpod = useFakeRunpod();

describe("outbound webhooks: a subscriber that is down", () => {
  it("loses nothing: retried from the alarm with backoff, delivered in order once it is back; the other subscriber is not held up", async () => {
    const creatorId = uuid();
    await setSubscriber(creatorId, "down");
    const { item } = await readyItem(runpod, creatorId);
    const order = ["media.uploaded", "media.transcoding", "media.progress", "media.playable", "media.ready"];
    // The subscriber that is up has everything while the other is still down.
    await hooksWhen(item.id, "a", order);
    const admin = await adminToken();
    const deliveriesToB = async () =>
      (await api("GET", `/api/admin/media/${item.id}/webhooks`, { token: admin })).body.deliveries.filter((d: any) => d.subscriber.endsWith("/hooks/b"));
    // The alarm retries the head of b's lane each time it fires: fire it until b has failed twice.
    const forB = await eventually(
      async () => (await runDurableObjectAlarm(stub(item.id)), deliveriesToB()),
      (d) => d[0]?.failures >= 2,
    );
    expect((await receivedHooks(item.id)).filter((h) => h.subscriber === "b")).toEqual([]);
    expect(forB[0]).toMatchObject({ type: "media.uploaded", outcome: "pending" });
    expect(forB[0].failures).toBeGreaterThanOrEqual(2);
    expect(forB[0].attempts.at(-1).error).toBeTruthy();

    await setSubscriber(creatorId, "up");
    const hooks = await hooksWhen(item.id, "b", order);
    expect(hooks.map((h) => h.type)).toEqual(order);
    expect(hooks.every((h) => h.verified)).toBe(true);
    const log = await api("GET", `/api/admin/media/${item.id}/webhooks`, { token: admin });
    const delivered = log.body.deliveries.filter((d: any) => d.subscriber.endsWith("/hooks/b"));
    expect(delivered.map((d: any) => d.outcome)).toEqual(order.map(() => "delivered"));
    expect(delivered.at(-1).failures).toBeGreaterThanOrEqual(2);
  });
});
