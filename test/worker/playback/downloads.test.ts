import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { downloadKey } from "../../../src/contract/index.ts";
import { api, payloadFor, putObject, row, rowWhen, sendCallback, uploadedItem, useFakeRunpod, uuid, videoOutput } from "../helpers.ts";

const runpod = useFakeRunpod();
const get = (path: string, headers: Record<string, string> = {}) => SELF.fetch(`http://control.test${path}`, { headers });

/** An item registered with downloads, triggered: the job it was handed. */
async function itemWithDownloads(downloads: unknown) {
  const item = await uploadedItem(uuid(), "video", { register: { downloads } });
  await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
  return { item, job: runpod.lastJob() };
}

describe("MP4 downloads", () => {
  it("asked for at registration: the job is told; once ready the status and the row list them, and /play serves each as an attachment with ranges", async () => {
    const { item, job } = await itemWithDownloads({ mp4: "highest", audio: true });
    expect(job.input.downloads).toEqual({ mp4: "highest", audio: true });
    expect((await row(item.id))!.downloadsRequested).toEqual({ mp4: "highest", audio: true });
    // Not ready: no download, even with a token.
    const early = await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token });
    expect((await get(`/play/${early.body.token}/download/1080p.mp4`)).status).toBe(404);

    const mp4 = { name: "1080p.mp4" as const, key: downloadKey(job.input, "1080p.mp4"), bytes: 16, width: 1920, height: 1080 };
    const m4a = { name: "audio.m4a" as const, key: downloadKey(job.input, "audio.m4a"), bytes: 4, width: null, height: null };
    await putObject("media", mp4.key, "0123456789abcdef", "video/mp4");
    await putObject("media", m4a.key, "aaaa", "audio/mp4");
    await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input, { downloads: [mp4, m4a] }) }));
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "ready", downloadsRequested: { mp4: "highest", audio: true } });
    expect(status.body.downloads).toEqual([
      { name: "1080p.mp4", bytes: 16, width: 1920, height: 1080 },
      { name: "audio.m4a", bytes: 4, width: null, height: null },
    ]);
    expect((await rowWhen(item.id, (r) => r.status === "ready"))!.downloads).toEqual([mp4, m4a]);

    const grant = (await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token })).body;
    const token = grant.token;
    expect(grant.urls.downloads).toEqual({ "1080p.mp4": `http://control.test/play/${token}/download/1080p.mp4`, "audio.m4a": `http://control.test/play/${token}/download/audio.m4a` });
    const whole = await get(`/play/${token}/download/1080p.mp4`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    // The original was "clip one.mp4" (stored as clip_one.mp4).
    expect(whole.headers.get("content-disposition")).toBe(`attachment; filename="clip_one-1080p.mp4"; filename*=UTF-8''clip_one-1080p.mp4`);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(await whole.text()).toBe("0123456789abcdef");
    const part = await get(`/play/${token}/download/1080p.mp4`, { range: "bytes=10-" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 10-15/16");
    expect(await part.text()).toBe("abcdef");
    const audio = await get(`/play/${token}/download/audio.m4a`);
    expect(audio.headers.get("content-type")).toBe("audio/mp4");
    await audio.body?.cancel();
    // A name it does not have is 404; no name, or a path that climbs, is refused (400) before any lookup.
    for (const [name, code] of [["720p.mp4", 404], ["hasOwnProperty", 404], ["", 400], ["..%2Fmaster.m3u8", 400]] as const) {
      const res = await get(`/play/${token}/download/${name}`);
      await res.body?.cancel();
      expect(res.status, name).toBe(code);
    }
  });

  it("a completion naming a download outside the attempt's downloads folder is refused; none asked for sends none", async () => {
    const { item, job } = await itemWithDownloads({ mp4: "all" });
    const stray = { name: "1080p.mp4" as const, key: `${job.input.creatorId}/originals/${item.id}/clip_one.mp4`, bytes: 11, width: 1920, height: 1080 };
    const res = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input, { downloads: [stray] }) }));
    expect(res.body.status).not.toBe("ready");

    const plain = await uploadedItem(uuid(), "video", { register: { downloads: { mp4: "none", audio: false } } });
    await api("POST", `/api/media/${plain.id}/transcode`, { token: plain.token });
    expect(runpod.lastJob().input).not.toHaveProperty("downloads");
    expect((await row(plain.id))!.downloadsRequested).toBeNull();
  });

  it.each([{ mp4: "every" }, { audio: "yes" }, "highest"])("downloads = %j: 400", async (downloads) => {
    const res = await api("POST", "/api/media", { token: (await uploadedItem(uuid(), "video", { skipUpload: true })).token, body: { mediaType: "video", filename: "a.mp4", size: 11, contentType: "video/mp4", downloads } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain("downloads");
  });
});
