import { describe, expect, it } from "vitest";
import type { JobInput } from "../../src/contract/index.ts";
import { api, payloadFor, putObject, row, SMALL_MP4, sendCallback, tokenFor, useFakeRunpod, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

// POST /api/media with `url`: the original is copied by a job; its word completes the upload.
describe("ingest from a URL", () => {
  async function ingesting(body: Record<string, unknown> = {}) {
    const creatorId = uuid();
    const token = await tokenFor(creatorId);
    const res = await api("POST", "/api/media", { token, body: { mediaType: "video", url: "https://media.example.com/films/holiday%20clip.mp4?sig=secret", maxBytes: 1_000_000, ...body } });
    expect(res.status).toBe(201);
    const job = runpod.lastJob();
    return { id: res.body.id as string, token, creatorId, res, job, task: (job.input as JobInput).task as Extract<NonNullable<JobInput["task"]>, { kind: "ingest" }> };
  }

  it("registers the item, dispatches the copy (with the URL, the limit, the item's own key), shows its progress; its word makes the item uploaded and, asked to, transcoding", async () => {
    const { id, token, creatorId, res, job, task } = await ingesting({ transcode: true });
    expect(res.body).toMatchObject({ id, status: "uploading", ingest: { status: "running", origin: "https://media.example.com", bytes: 0, error: null } });
    expect(task).toMatchObject({ kind: "ingest", url: "https://media.example.com/films/holiday%20clip.mp4?sig=secret", maxBytes: 1_000_000 });
    expect(job.input.inputKey).toBe(`${creatorId}/originals/${id}/holiday_clip.mp4`);
    expect(await row(id)).toMatchObject({ status: "uploading", originalFilename: "holiday clip.mp4", originalSize: 1_000_000 });
    // The status never shows the URL's path or query (a signed URL's secret).
    expect(JSON.stringify((await api("GET", `/api/media/${id}/transcoding-status`, { token })).body)).not.toContain("secret");

    await sendCallback({ ...payloadFor(job, { status: "progress", phase: "downloading", percent: 40 }), ingest: { id: task.id, bytes: 400, totalBytes: 1000 } });
    expect((await api("GET", `/api/media/${id}/transcoding-status`, { token })).body.ingest).toMatchObject({ status: "running", bytes: 400, totalBytes: 1000 });

    await putObject("media", job.input.inputKey, SMALL_MP4, "video/mp4");
    const done = await sendCallback(payloadFor(job, { status: "ingested", ingest: { id: task.id }, bytes: SMALL_MP4.length }));
    expect(done.status).toBe(200);
    // Uploaded, then triggered for its owner: the transcode job goes out.
    const transcode = await (async () => {
      for (let i = 0; i < 50; i++) {
        const last = runpod.lastJob();
        if (last.input.mediaId === id && !(last.input as JobInput).task) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("no transcode job");
    })();
    expect(transcode.input.inputKey).toBe(job.input.inputKey);
    expect((await api("GET", `/api/media/${id}/transcoding-status`, { token })).body).toMatchObject({ status: "transcoding", ingest: { status: "done" } });
    expect(creatorId).toBeTruthy();
  });

  it("a copy that fails says why, and the item waits for another original; a copy the upload checks refuse is a failure too", async () => {
    const a = await ingesting();
    await sendCallback({ ...payloadFor(a.job, { status: "failed", error: { code: "URL_NOT_FOUND", message: "The URL answered 404: there is no file there", retriable: false } }), ingest: { id: a.task.id } });
    expect((await api("GET", `/api/media/${a.id}/transcoding-status`, { token: a.token })).body).toMatchObject({
      status: "uploading",
      ingest: { status: "failed", error: { code: "URL_NOT_FOUND" } },
      error: { code: "URL_NOT_FOUND" },
    });
    const b = await ingesting();
    await putObject("media", b.job.input.inputKey, new TextEncoder().encode("#EXTM3U\n#EXTINF:1,\nhttp://x/y.ts\n"), "video/mp4");
    await sendCallback(payloadFor(b.job, { status: "ingested", ingest: { id: b.task.id }, bytes: 30 }));
    expect((await api("GET", `/api/media/${b.id}/transcoding-status`, { token: b.token })).body).toMatchObject({ status: "uploading", ingest: { status: "failed", error: { code: "INPUT_UNREADABLE" } } });
  });

  it.each([
    ["ftp://media.example.com/a.mp4", /ftp:/],
    ["https://user:pw@media.example.com/a.mp4", /credentials/],
    ["https://media.example.com:8443/a.mp4", /port 8443/],
    ["http://169.254.169.254/latest/meta-data/", /link-local/],
    ["http://[::1]/a.mp4", /loopback/],
    ["http://localhost/a.mp4", /not a public host/],
  ])("%s: 400 URL_REFUSED, nothing registered or dispatched", async (url, why) => {
    const token = await tokenFor(uuid());
    const runs = runpod.runs.length;
    const res = await api("POST", "/api/media", { token, body: { mediaType: "video", url } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "URL_REFUSED", message: expect.stringMatching(why) });
    expect(runpod.runs.length).toBe(runs);
    expect((await api("GET", "/api/media", { token })).body.items).toEqual([]);
  });
});
