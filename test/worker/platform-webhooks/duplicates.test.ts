import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminToken, api, eventually, useFakeRunpod, hooksWhen, readyItem, receivedHooks, setSubscriber, uuid } from "../helpers.ts";

const runpod = useFakeRunpod();

describe("outbound webhooks: at least once", () => {
  it("a lost acknowledgement means a second delivery with the same webhook-id and body", async () => {
    const creatorId = uuid();
    await setSubscriber(creatorId, "ack-lost-once");
    const { item } = await readyItem(runpod, creatorId);
    const hooks = await hooksWhen(item.id, "b", ["media.uploaded", "media.transcoding", "media.progress", "media.playable", "media.ready"]);
    const byId = new Map<string, typeof hooks>();
    for (const h of hooks) byId.set(h.id, [...(byId.get(h.id) ?? []), h]);
    expect(byId.size).toBe(5);
    for (const tries of byId.values()) {
      expect(tries.map((t) => t.answered)).toEqual([500, 204]);
      expect(tries[1]!.body).toBe(tries[0]!.body);
      expect(tries.every((t) => t.verified)).toBe(true);
    }
  });

  it("an administrator's redeliver sends a delivered message again, same webhook-id", async () => {
    const { item } = await readyItem(runpod);
    const [ready] = (await hooksWhen(item.id, "a", ["media.ready"])).filter((h) => h.type === "media.ready");
    const admin = await adminToken();
    const res = await api("POST", `/api/admin/media/${item.id}/webhooks/${ready!.id}/redeliver`, { token: admin, body: { subscriber: ready!.body && (await subscriberUrl(item.id, "a")) } });
    expect(res.status).toBe(202);
    const again = await eventually(() => receivedHooks(item.id), (hs) => hs.filter((h) => h.id === ready!.id && h.subscriber === "a").length === 2);
    const copies = again.filter((h) => h.id === ready!.id);
    expect(copies.filter((h) => h.subscriber === "a").map((h) => h.body)).toEqual([ready!.body, ready!.body]);
    // Only the subscriber asked for.
    expect(copies.filter((h) => h.subscriber === "b")).toHaveLength(1);
    expect((await api("POST", `/api/admin/media/${item.id}/webhooks/msg_${"0".repeat(32)}/redeliver`, { token: admin })).status).toBe(404);
    expect((await api("POST", `/api/admin/media/${item.id}/webhooks/nonsense/redeliver`, { token: admin })).status).toBe(400);
  });

  it("the redeliver body is read whatever the case of its media type (Application/JSON; charset=UTF-8)", async () => {
    const { item } = await readyItem(runpod);
    const [ready] = (await hooksWhen(item.id, "a", ["media.ready"])).filter((h) => h.type === "media.ready");
    await hooksWhen(item.id, "b", ["media.ready"]);
    const admin = await adminToken();
    const res = await SELF.fetch(`http://control.test/api/admin/media/${item.id}/webhooks/${ready!.id}/redeliver`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "Application/JSON; charset=UTF-8" },
      body: JSON.stringify({ subscriber: await subscriberUrl(item.id, "a") }),
    });
    expect(res.status).toBe(202);
    await res.body?.cancel();
    // Queued before the 202: only for the subscriber the body names.
    const log = await api("GET", `/api/admin/media/${item.id}/webhooks`, { token: admin });
    const copies = log.body.deliveries.filter((d: any) => d.messageId === ready!.id);
    expect(copies.filter((d: any) => d.subscriber.endsWith("/hooks/a"))).toHaveLength(2);
    expect(copies.filter((d: any) => d.subscriber.endsWith("/hooks/b"))).toHaveLength(1);
  });
});

async function subscriberUrl(mediaId: string, name: string): Promise<string> {
  const log = await api("GET", `/api/admin/media/${mediaId}/webhooks`, { token: await adminToken() });
  return log.body.subscribers.find((s: string) => s.endsWith(`/hooks/${name}`));
}
