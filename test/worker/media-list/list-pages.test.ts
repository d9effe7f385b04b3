import { describe, expect, it } from "vitest";
import { api, tokenFor, uploadedItem, uuid } from "../helpers.ts";

async function register(token: string, mediaType: "video" | "audio" = "video") {
  const res = await api("POST", "/api/media", { token, body: { mediaType, filename: `${mediaType}.mp4`, size: 11, contentType: `${mediaType}/mp4` } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("GET /api/media", () => {
  it("a creator's own items, newest first, in cursor pages that together hold each once", async () => {
    const creatorId = uuid();
    const token = await tokenFor(creatorId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await register(token, i % 2 ? "audio" : "video"));
    await register(await tokenFor(uuid()));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await api("GET", `/api/media?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i: any) => i.id));
      expect(res.body.items.every((i: any) => i.creatorId === creatorId)).toBe(true);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by status and type; deleted items are never listed", async () => {
    const creatorId = uuid();
    const a = await uploadedItem(creatorId, "video");
    const b = await uploadedItem(creatorId, "audio");
    const c = await register(a.token, "video");
    const uploaded = await api("GET", "/api/media?status=uploaded", { token: a.token });
    expect(uploaded.body.items.map((i: any) => i.id).sort()).toEqual([a.id, b.id].sort());
    const audio = await api("GET", "/api/media?mediaType=audio", { token: a.token });
    expect(audio.body.items.map((i: any) => i.id)).toEqual([b.id]);
    expect(audio.body.items[0]).toMatchObject({ mediaType: "audio", status: "uploaded", filename: "voice.m4a", size: 11 });
    expect((await api("DELETE", `/api/media/${a.id}`, { token: a.token })).status).toBe(204);
    const all = await api("GET", "/api/media", { token: a.token });
    expect(all.body.items.map((i: any) => i.id)).toEqual([c, b.id]);
  });

  it("an administrator sees everyone's, or one creator's; a creator may not ask for another's; bad queries are 400", async () => {
    const one = uuid();
    const id = await register(await tokenFor(one));
    const admin = await tokenFor(uuid(), "admin");
    const theirs = await api("GET", `/api/media?creatorId=${one}`, { token: admin });
    expect(theirs.body.items.map((i: any) => i.id)).toEqual([id]);
    const everyone = await api("GET", "/api/media?limit=100", { token: admin });
    expect(everyone.body.items.some((i: any) => i.id === id)).toBe(true);
    expect(new Set(everyone.body.items.map((i: any) => i.creatorId)).size).toBeGreaterThan(1);
    const creator = await tokenFor(uuid());
    expect((await api("GET", `/api/media?creatorId=${one}`, { token: creator })).status).toBe(403);
    for (const q of ["limit=0", "limit=101", "status=deleted", "mediaType=image", "cursor=not-a-cursor"]) {
      const res = await api("GET", `/api/media?${q}`, { token: creator });
      expect([q, res.status, res.body.error.code]).toEqual([q, 400, "INVALID_QUERY"]);
    }
    expect((await api("GET", "/api/media")).status).toBe(401);
  });
});
