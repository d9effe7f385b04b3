import { describe, expect, it } from "vitest";
import { adminToken, call, creator, decodeThroughWorker, finished, fixture, row, upload, waitFor, env } from "./support.ts";

describe("upload → ready through every real part", () => {
  it("a 1080p video: four rungs, a master that decodes through the Worker, the row in Postgres", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("hd.mp4"));
    const accepted = await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    expect(accepted.status).toBe("transcoding");
    const seen = new Set<string>();
    const done = await waitFor(env.url, me.token, id, finished, { onUpdate: (s) => s.phase && seen.add(s.phase) });
    expect(done).toMatchObject({ status: "ready", retriesUsed: 0, readyVariants: ["1080p", "720p", "480p", "360p"], error: null });
    expect(done.output).toMatchObject({ width: 1920, height: 1080, encoder: "libx264" });
    expect(done.output.mezzanineKey).toMatch(/^mezzanine\//);
    expect(seen.has("encoding")).toBe(true);

    const probe = decodeThroughWorker(id, await adminToken());
    const videos = probe.streams.filter((s) => s.codec_type === "video");
    expect(videos.map((s) => s.height).sort((a, b) => b! - a!)).toEqual([1080, 720, 480, 360]);
    expect(videos.every((s) => s.codec_name === "h264")).toBe(true);
    expect(probe.streams.some((s) => s.codec_type === "audio" && s.codec_name === "aac")).toBe(true);
    expect(Number(probe.format.duration)).toBeCloseTo(7, 0);

    const r = await row(id);
    expect(r).toMatchObject({ status: "ready", hls_master_playlist_key: done.output.hlsMasterKey, transcoding_attempts: 0, encoder: "libx264", width: 1920, height: 1080 });
    expect(r!.ready_variants).toEqual(["1080p", "720p", "480p", "360p"]);
    expect(r!.thumbnail_key).toBe(done.output.thumbnailKey);
    expect(r!.loudness_integrated).toBeTypeOf("number");
  });

  it("an audio file: audio HLS, waveform data and image, loudness ×100 in the row", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("voice.m4a"), "audio");
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const done = await waitFor(env.url, me.token, id, finished);
    expect(done).toMatchObject({ status: "ready", readyVariants: ["audio"] });
    expect(done.output.waveformKey).toMatch(/waveform\.json$/);
    const probe = decodeThroughWorker(id, await adminToken());
    expect(probe.streams.map((s) => `${s.codec_type}/${s.codec_name}`)).toEqual(["audio/aac"]);
    const admin = await adminToken();
    const wave = await fetch(`${env.url}/api/admin/media/${id}/files/waveform`, { headers: { authorization: `Bearer ${admin}` } });
    const json = (await wave.json()) as { version: number; channels: number; bits: number; length: number; data: number[] };
    expect(json).toMatchObject({ version: 2, channels: 1, bits: 8 });
    expect(json.data.length).toBe(json.length * 2);
    const r = await row(id);
    expect(r).toMatchObject({ status: "ready", waveform_key: done.output.waveformKey, waveform_image_key: done.output.waveformImageKey });
    // A sine at half scale measures about -9 LUFS integrated (stored ×100).
    expect(r!.loudness_integrated).toBe(Math.round(done.loudness.integrated * 100));
  });
});
