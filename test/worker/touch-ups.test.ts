import { describe, expect, it } from "vitest";
import { downloadKey, posterKey, type JobInput } from "../../src/contract/index.ts";
import { api, hooksWhen, payloadFor, readyItem, rowWhen, sendCallback, tokenFor, transcodingItem, uploadedItem, useFakeRunpod, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

/** The touch-up job the fake RunPod was handed last, with its task. */
const touchUpJob = () => {
  const job = runpod.lastJob();
  return { job, task: (job.input as JobInput).task as Extract<NonNullable<JobInput["task"]>, { kind: "touch-up" }> };
};

// Touch-ups of a ready item (POST /thumbnail, POST /downloads): a small job; the item stays ready.
describe("touch-ups", () => {
  it("a new poster frame: asked for, its job under the ready attempt, then the item's thumbnail, the row and media.updated", async () => {
    const { item, job: first } = await readyItem(runpod);
    const asked = await api("POST", `/api/media/${item.id}/thumbnail`, { token: item.token, body: { seconds: 12.5 } });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: "ready", touchUp: { status: "running", request: { thumbnailSeconds: 12.5 }, error: null } });
    const { job, task } = touchUpJob();
    expect(job.input).toMatchObject({ mediaId: item.id, attemptId: first.input.attemptId, inputKey: first.input.inputKey });
    expect(task).toEqual({ kind: "touch-up", id: asked.body.touchUp.id, thumbnailSeconds: 12.5, rungs: ["1080p", "720p", "480p", "360p"] });

    // Its progress is acknowledged and changes nothing.
    expect((await sendCallback({ ...payloadFor(job, { status: "progress", phase: "encoding", percent: 40 }), touchUp: { id: task.id } })).body).toMatchObject({ outcome: "ignored" });
    const key = posterKey(job.input, task.id);
    const done = await sendCallback(payloadFor(job, { status: "touched-up", touchUp: { id: task.id }, output: { thumbnail: { key, seconds: 12.533 }, downloads: null } }));
    expect(done.body).toMatchObject({ outcome: "applied", status: "ready" });
    const status = (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body;
    expect(status).toMatchObject({ status: "ready", touchUp: null, requestedThumbnailSeconds: 12.5, output: { thumbnailKey: key, thumbnailSeconds: 12.533 } });
    expect(await rowWhen(item.id, (r) => r.thumbnailKey === key)).toMatchObject({ status: "ready", thumbnailSeconds: 12.533, requestedThumbnailSeconds: 12.5 });
    const hooks = await hooksWhen(item.id, "a", ["media.ready", "media.updated"]);
    const updated = JSON.parse(hooks.find((h) => h.type === "media.updated")!.body);
    expect(updated.data).toMatchObject({ mediaId: item.id, status: "ready", output: { thumbnailKey: key } });
  });

  it("downloads asked for after ready: the job makes them from the ready segments; the status lists them", async () => {
    const { item } = await readyItem(runpod);
    const asked = await api("POST", `/api/media/${item.id}/downloads`, { token: item.token, body: { mp4: "all", audio: true } });
    expect(asked.status).toBe(202);
    const { job, task } = touchUpJob();
    expect(task).toMatchObject({ kind: "touch-up", downloads: { mp4: "all", audio: true } });
    expect(task).not.toHaveProperty("thumbnailSeconds");
    const made = ["1080p.mp4", "audio.m4a"].map((name) => ({ name: name as "1080p.mp4" | "audio.m4a", key: downloadKey(job.input, name as "1080p.mp4"), bytes: 5, width: name === "audio.m4a" ? null : 1920, height: name === "audio.m4a" ? null : 1080 }));
    await sendCallback(payloadFor(job, { status: "touched-up", touchUp: { id: task.id }, output: { thumbnail: null, downloads: made } }));
    const status = (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body;
    expect(status).toMatchObject({ touchUp: null, downloadsRequested: { mp4: "all", audio: true } });
    expect(status.downloads.map((d: { name: string }) => d.name)).toEqual(["1080p.mp4", "audio.m4a"]);
  });

  it("a failed touch-up leaves the outputs as they were and says why; the next one may be asked for", async () => {
    const { item } = await readyItem(runpod);
    const before = (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body.output;
    await api("POST", `/api/media/${item.id}/thumbnail`, { token: item.token, body: { seconds: 1 } });
    const { job, task } = touchUpJob();
    await sendCallback({ ...payloadFor(job, { status: "failed", error: { code: "INPUT_NOT_FOUND", message: "The original is no longer in the media bucket", retriable: false } }), touchUp: { id: task.id } });
    const status = (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body;
    expect(status).toMatchObject({ status: "ready", touchUp: { id: task.id, status: "failed", error: { code: "INPUT_NOT_FOUND" } } });
    expect(status.output).toEqual(before);
    expect((await api("POST", `/api/media/${item.id}/thumbnail`, { token: item.token, body: { seconds: 2 } })).status).toBe(202);
  });

  it("is refused, dispatching nothing: not ready (409), one running (409), another creator's (404), a bad body (400)", async () => {
    const { item } = await readyItem(runpod);
    const { item: busy } = await transcodingItem(runpod);
    const audio = await uploadedItem(uuid(), "audio");
    const runs = runpod.runs.length;
    expect((await api("POST", `/api/media/${busy.id}/thumbnail`, { token: busy.token, body: { seconds: 1 } })).status).toBe(409);
    expect((await api("POST", `/api/media/${audio.id}/downloads`, { token: audio.token, body: { mp4: "none", audio: true } })).status).toBe(409);
    expect((await api("POST", `/api/media/${item.id}/thumbnail`, { token: await tokenFor(uuid()), body: { seconds: 1 } })).status).toBe(404);
    for (const [path, body] of [["thumbnail", { seconds: -1 }], ["thumbnail", {}], ["downloads", { mp4: "none", audio: false }], ["downloads", { mp4: "every" }]] as const) {
      expect((await api("POST", `/api/media/${item.id}/${path}`, { token: item.token, body })).status, `${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect(runpod.runs.length).toBe(runs);
    expect((await api("POST", `/api/media/${item.id}/thumbnail`, { token: item.token, body: { seconds: 1 } })).status).toBe(202);
    const again = await api("POST", `/api/media/${item.id}/downloads`, { token: item.token, body: { mp4: "highest" } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/running/);
  });
});
