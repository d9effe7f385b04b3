import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TranscoderRpc } from "../../src/rpc.ts";
import { api, useFakeRunpod, readyItem, uploadedItem, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

const service = () => new TranscoderRpc({ waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext, env);

describe("RPC entrypoint: list, delete, playback token, clip, touch-ups, ingest", () => {
  it("answers what the HTTP routes answer", async () => {
    const creatorId = uuid();
    const a = await uploadedItem(creatorId);
    const b = await uploadedItem(creatorId, "audio");
    const svc = service();
    const page = await svc.listMedia(creatorId, { limit: 1 });
    const http = await api("GET", "/api/media?limit=1", { token: a.token });
    expect(JSON.parse(JSON.stringify(page))).toEqual(http.body);
    const rest = await svc.listMedia(creatorId, { cursor: page.nextCursor! });
    expect(rest.items.map((i) => i.id)).toEqual([a.id]);
    expect((await svc.listMedia(creatorId, { mediaType: "audio" })).items.map((i) => i.id)).toEqual([b.id]);
    await expect(svc.listMedia(creatorId, { cursor: "nope" })).rejects.toThrow(/^INVALID_QUERY/);

    await expect(svc.deleteMedia(a.id, uuid())).rejects.toThrow(/^NOT_FOUND/);
    expect(await svc.deleteMedia(a.id, creatorId)).toEqual({ deleted: true });
    expect((await api("GET", `/api/media/${a.id}/transcoding-status`, { token: a.token })).status).toBe(404);

    const { item } = await readyItem(runpod);
    const minted = await svc.createPlaybackToken(item.id, { viewerId: "v-1", expiresInSeconds: 300 });
    expect(minted.path).toBe(`/play/${minted.token}/master.m3u8`);
    const master = await SELF.fetch(`http://control.test${minted.path}`);
    // Ready, but the fake job wrote no files: the route found the item and asked storage.
    expect(master.status).toBe(404);
    expect(((await master.json()) as any).error.message).toBe("The file is not in storage");
    await expect(svc.createPlaybackToken(uuid())).rejects.toThrow(/^NOT_FOUND/);
    await expect(svc.createPlaybackToken(item.id, { viewerId: "a b" })).rejects.toThrow(/^INVALID_BODY/);

    // A clip, as POST /api/media/:id/clips makes one: a new item of the same creator, transcoding.
    const clip = await svc.createClip(item.id, item.creatorId, { startSeconds: 1, endSeconds: 6 });
    expect(clip).toMatchObject({ status: "transcoding", clip: { sourceMediaId: item.id, startSeconds: 1, endSeconds: 6 } });
    expect((await api("GET", `/api/media/${clip.mediaId}/transcoding-status`, { token: item.token })).body.clip).toEqual(clip.clip);
    await expect(svc.createClip(item.id, uuid(), { startSeconds: 1, endSeconds: 6 })).rejects.toThrow(/^NOT_FOUND/);
    await expect(svc.createClip(item.id, item.creatorId, { startSeconds: 1, endSeconds: 99 })).rejects.toThrow(/^OUT_OF_RANGE/);
    await expect(svc.createClip(item.id, item.creatorId, { startSeconds: 3, endSeconds: 2 })).rejects.toThrow(/^INVALID_BODY/);

    // Touch-ups, as POST /thumbnail and /downloads ask for them.
    expect(await svc.setThumbnail(item.id, item.creatorId, 3)).toMatchObject({ status: "ready", touchUp: { status: "running", request: { thumbnailSeconds: 3 } } });
    await expect(svc.requestDownloads(item.id, item.creatorId, { mp4: "all" })).rejects.toThrow(/^INVALID_STATE/);
    await expect(svc.setThumbnail(item.id, uuid(), 3)).rejects.toThrow(/^NOT_FOUND/);
    await expect(svc.requestDownloads(item.id, item.creatorId, { mp4: "none", audio: false })).rejects.toThrow(/^INVALID_BODY/);

    // An ingest from a URL, as POST /api/media with `url`.
    const copying = await svc.ingestFromUrl(creatorId, { mediaType: "video", url: "https://media.example.com/a.mp4", maxBytes: 1000 });
    expect(copying).toMatchObject({ status: "uploading", ingest: { status: "running", origin: "https://media.example.com" } });
    expect(runpod.lastJob().input).toMatchObject({ mediaId: copying.id, task: { kind: "ingest", url: "https://media.example.com/a.mp4", maxBytes: 1000 } });
    await expect(svc.ingestFromUrl(creatorId, { mediaType: "video", url: "http://10.0.0.1/a.mp4" })).rejects.toThrow(/^URL_REFUSED/);

    // A registration as POST /api/media takes it, with its choices; the item is the user's.
    const registered = await svc.registerMedia(creatorId, { mediaType: "audio", filename: "song.flac", size: 11, contentType: "audio/flac", normalizeAudio: false, downloads: { audio: true } });
    expect(registered).toMatchObject({ status: "uploading", upload: { partCount: 1, size: 11 } });
    expect((await api("GET", `/api/media/${registered.id}/transcoding-status`, { token: b.token })).body).toMatchObject({ normalizeAudio: false, downloadsRequested: { mp4: "none", audio: true } });
    await expect(svc.registerMedia(creatorId, { mediaType: "audio", filename: "song.flac", size: -1, contentType: "audio/flac" })).rejects.toThrow(/^INVALID_BODY/);
  });
});
