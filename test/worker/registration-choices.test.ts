import { describe, expect, it } from "vitest";
import { api, row, tokenFor, uploadedItem, useFakeRunpod, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

// Choices made at registration (normalizeAudio, thumbnailSeconds): kept on the row, in the status, and told to every job of the item.
describe("registration choices", () => {
  it("false: the row, the status and the job say so", async () => {
    const item = await uploadedItem(uuid(), "audio", { register: { normalizeAudio: false } });
    expect((await row(item.id))!.normalizeAudio).toBe(false);
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(runpod.lastJob().input).toMatchObject({ mediaId: item.id, normalizeAudio: false });
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "transcoding", normalizeAudio: false });
  });

  it("left out: normalised, as before", async () => {
    const item = await uploadedItem(uuid(), "video");
    expect((await row(item.id))!.normalizeAudio).toBe(true);
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(runpod.lastJob().input).toMatchObject({ mediaId: item.id, normalizeAudio: true });
    expect((await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body.normalizeAudio).toBe(true);
  });

  it("thumbnailSeconds: the row, the status and the job carry it; left out, none of them does", async () => {
    const chosen = await uploadedItem(uuid(), "video", { register: { thumbnailSeconds: 12.5 } });
    expect((await row(chosen.id))!.requestedThumbnailSeconds).toBe(12.5);
    await api("POST", `/api/media/${chosen.id}/transcode`, { token: chosen.token });
    expect(runpod.lastJob().input).toMatchObject({ mediaId: chosen.id, thumbnailSeconds: 12.5 });
    expect((await api("GET", `/api/media/${chosen.id}/transcoding-status`, { token: chosen.token })).body.requestedThumbnailSeconds).toBe(12.5);

    const plain = await uploadedItem(uuid(), "video");
    await api("POST", `/api/media/${plain.id}/transcode`, { token: plain.token });
    expect(runpod.lastJob().input.mediaId).toBe(plain.id);
    expect(runpod.lastJob().input).not.toHaveProperty("thumbnailSeconds");
    expect((await api("GET", `/api/media/${plain.id}/transcoding-status`, { token: plain.token })).body.requestedThumbnailSeconds).toBeNull();
  });

  it.each([
    ["normalizeAudio", "no"],
    ["thumbnailSeconds", -1],
    ["thumbnailSeconds", "10"],
  ])("%s = %j: 400 naming the field, nothing registered", async (field, value) => {
    const token = await tokenFor(uuid());
    const reg = await api("POST", "/api/media", { token, body: { mediaType: "audio", filename: "a.m4a", size: 11, contentType: "audio/mp4", [field]: value } });
    expect(reg.status).toBe(400);
    expect(JSON.stringify(reg.body.error)).toContain(field);
    expect((await api("GET", "/api/media", { token })).body.items).toEqual([]);
  });
});
