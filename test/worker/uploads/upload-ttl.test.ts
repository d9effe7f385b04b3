import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sendParts } from "../../../dev/multipart-client.ts";
import { UPLOAD_KEY, type UploadSession } from "../../../src/objects/upload-session.ts";
import { api, apiAs, registered, stub, tokenFor, uploadFixture, uuid } from "../helpers.ts";

describe("an abandoned upload", () => {
  it("is aborted by the alarm after its TTL: its parts are dropped, the item stays uploading and may start again", async () => {
    const file = await uploadFixture();
    const token = await tokenFor(uuid());
    const { id, upload } = await registered(token, file.length);
    await sendParts(apiAs(token), id, async (s, e) => file.subarray(s, e), { stopAfter: 3, concurrency: 1 });
    const urls = await api("POST", `/api/media/${id}/upload/parts`, { token, body: { partNumbers: [5] } });
    // Its TTL passes.
    await runInDurableObject(stub(id), async (_o, state) => {
      const s = (await state.storage.get<UploadSession>(UPLOAD_KEY))!;
      expect(s.expiresAt - s.createdAt).toBe(24 * 3_600_000);
      await state.storage.put(UPLOAD_KEY, { ...s, expiresAt: Date.now() - 1 });
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    expect(await runInDurableObject(stub(id), (_o, state) => state.storage.get(UPLOAD_KEY))).toBeUndefined();
    // The storage side is gone too: a part URL of that upload no longer works.
    const late = await fetch(urls.body.parts[0].url, { method: "PUT", body: file.subarray(0, 65_536) });
    expect(late.status).toBe(404);
    await late.body?.cancel();
    expect((await api("GET", `/api/media/${id}/upload`, { token })).status).toBe(409);
    expect((await api("GET", `/api/media/${id}/transcoding-status`, { token })).body.status).toBe("uploading");
    const again = await api("POST", `/api/media/${id}/upload`, { token });
    expect(again.status).toBe(200);
    expect(again.body.uploadId).not.toBe(upload.uploadId);
  });
});
