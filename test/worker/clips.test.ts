import { describe, expect, it } from "vitest";
import { api, readyItem, row, tokenFor, transcodingItem, useFakeRunpod, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

// POST /api/media/:id/clips: a new item cut from a ready one, transcoded like any upload.
describe("clips", () => {
  it("of a ready item: a new item of the same creator, triggered at once, whose job cuts the range from the source's original", async () => {
    const { item: source, job: sourceJob } = await readyItem(runpod);
    const made = await api("POST", `/api/media/${source.id}/clips`, { token: source.token, body: { startSeconds: 2.5, endSeconds: 12.5 } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ status: "transcoding", mediaType: "video", clip: { sourceMediaId: source.id, startSeconds: 2.5, endSeconds: 12.5 } });
    const clipId: string = made.body.mediaId;
    expect(clipId).not.toBe(source.id);
    const job = runpod.lastJob();
    expect(job.input).toMatchObject({
      mediaId: clipId,
      creatorId: source.creatorId,
      inputKey: `${source.creatorId}/originals/${clipId}/clip.mkv`,
      clip: { sourceMediaId: source.id, sourceKey: sourceJob.input.inputKey, startSeconds: 2.5, endSeconds: 12.5 },
    });
    expect(await row(clipId)).toMatchObject({ creatorId: source.creatorId, status: "transcoding", clipSourceMediaId: source.id, clipStartSeconds: 2.5, clipEndSeconds: 12.5 });
    // Its own item: its owner reads it; the source is untouched.
    expect((await api("GET", `/api/media/${clipId}/transcoding-status`, { token: source.token })).body.clip.sourceMediaId).toBe(source.id);
    expect((await api("GET", `/api/media/${source.id}/transcoding-status`, { token: source.token })).body).toMatchObject({ status: "ready", clip: null });
  });

  it("an administrator may cut anyone's item: the clip is the source's creator's", async () => {
    const { item: source } = await readyItem(runpod);
    const admin = await tokenFor(uuid(), "admin");
    const made = await api("POST", `/api/media/${source.id}/clips`, { token: admin, body: { startSeconds: 0, endSeconds: 5 } });
    expect(made.status).toBe(201);
    expect((await row(made.body.mediaId))!.creatorId).toBe(source.creatorId);
  });

  it("is refused, creating nothing: another creator's item (404), one not ready (409), a range outside it (422), a bad body (400)", async () => {
    const { item: source } = await readyItem(runpod);
    const jobsBefore = runpod.runs.length;
    const other = await tokenFor(uuid());
    expect((await api("POST", `/api/media/${source.id}/clips`, { token: other, body: { startSeconds: 0, endSeconds: 5 } })).status).toBe(404);
    // The test output is 20.02 s long.
    const out = await api("POST", `/api/media/${source.id}/clips`, { token: source.token, body: { startSeconds: 15, endSeconds: 25 } });
    expect(out.status).toBe(422);
    expect(out.body.error).toMatchObject({ code: "OUT_OF_RANGE" });
    expect((await api("POST", `/api/media/${source.id}/clips`, { token: source.token, body: { startSeconds: 21, endSeconds: 22 } })).status).toBe(422);
    for (const body of [{ startSeconds: 5, endSeconds: 5.5 }, { startSeconds: -1, endSeconds: 3 }, { startSeconds: "0", endSeconds: 3 }, {}]) {
      expect((await api("POST", `/api/media/${source.id}/clips`, { token: source.token, body })).status, JSON.stringify(body)).toBe(400);
    }
    const { item: busy } = await transcodingItem(runpod);
    const notReady = await api("POST", `/api/media/${busy.id}/clips`, { token: busy.token, body: { startSeconds: 0, endSeconds: 5 } });
    expect(notReady.status).toBe(409);
    expect(notReady.body.error).toMatchObject({ code: "INVALID_STATE" });
    expect(runpod.runs.length).toBe(jobsBefore + 1);
    // Nothing was registered for the refused ones: the creator's list has the source only.
    expect((await api("GET", "/api/media", { token: source.token })).body.items.map((i: { id: string }) => i.id)).toEqual([source.id]);
  });
});
