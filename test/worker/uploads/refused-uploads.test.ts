import { describe, expect, it } from "vitest";
import { sendParts, uploadAll } from "../../../dev/multipart-client.ts";
import { api, apiAs, objectExists, registered, row, sha256, storedBytes, tokenFor, uploadFixture, uuid } from "../helpers.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(200).fill(7)]);

describe("completion checks the bytes", () => {
  it("a file shorter than declared: its short last part is refused at storage (its URL binds the planned length), completion is refused, and the upload stays open", async () => {
    const file = await uploadFixture();
    const token = await tokenFor(uuid());
    const { id, upload } = await registered(token, Math.round(file.length * 1.3));
    const read = async (s: number, e: number) => file.subarray(s, e);
    await expect(uploadAll(apiAs(token), id, read, { fileSize: file.length })).rejects.toThrow(/: 403 .*SignatureDoesNotMatch/);
    // Whatever of the whole parts was still on its way is sent again; the short one never can be.
    const whole = Math.floor(file.length / upload.partSize) * upload.partSize;
    await sendParts(apiAs(token), id, read, { fileSize: whole });
    const done = await api("POST", `/api/media/${id}/upload-complete`, { token });
    expect(done.status).toBe(422);
    expect(done.body.error.code).toBe("UPLOAD_REJECTED");
    expect(done.body.error.message).toContain(`${whole} bytes but ${upload.size} were declared`);
    expect((await api("GET", `/api/media/${id}/transcoding-status`, { token })).body.status).toBe("uploading");
    expect((await api("GET", `/api/media/${id}/upload`, { token })).status).toBe(200);
  });

  it("a PNG declared as video is refused and deleted; a new upload of the real file then succeeds", async () => {
    const token = await tokenFor(uuid());
    const { id, upload } = await registered(token, PNG.length);
    const done = await uploadAll(apiAs(token), id, async (s, e) => PNG.subarray(s, e));
    expect([done.status, done.body.error.code]).toEqual([422, "UPLOAD_REJECTED"]);
    expect(done.body.error.message).toContain("still image (PNG)");
    const key = (await row(id))!.r2Key;
    expect(await objectExists("media", key)).toBe(false);
    expect((await api("GET", `/api/media/${id}/upload`, { token })).status).toBe(409);

    // Same declared size, so the real bytes must be cut to it: the check is on the bytes, not the name.
    const again = await api("POST", `/api/media/${id}/upload`, { token });
    expect(again.status).toBe(200);
    expect(again.body.uploadId).not.toBe(upload.uploadId);
    const file = (await uploadFixture()).subarray(0, PNG.length);
    expect((await uploadAll(apiAs(token), id, async (s, e) => file.subarray(s, e))).status).toBe(200);
    expect(await sha256(await storedBytes(key))).toBe(await sha256(file));
  });

  it("a playlist in disguise (#EXTM3U named .mp4) is refused", async () => {
    const playlist = new TextEncoder().encode("\ufeff#EXTM3U\n#EXTINF:4,\nfile:///etc/passwd\n");
    const token = await tokenFor(uuid());
    const { id } = await registered(token, playlist.length);
    const done = await uploadAll(apiAs(token), id, async (s, e) => playlist.subarray(s, e));
    expect(done.status).toBe(422);
    expect(done.body.error.message).toContain("playlist");
  });

  it("an MP3 declared as video is refused with what it is", async () => {
    const mp3 = new Uint8Array([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0, ...new Array(100).fill(0)]);
    const token = await tokenFor(uuid());
    const { id } = await registered(token, mp3.length);
    const done = await uploadAll(apiAs(token), id, async (s, e) => mp3.subarray(s, e));
    expect(done.body.error.message).toContain("audio (mp3) but was declared video");
  });
});
