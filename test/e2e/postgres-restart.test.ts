import { describe, expect, it } from "vitest";
import { call, control, creator, env, finished, fixture, row, rowWhen, upload, waitFor } from "./support.ts";

describe("Postgres stops mid-job and comes back", () => {
  it("the job finishes meanwhile and the row catches up to ready with every field", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("small.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    await waitFor(env.url, me.token, id, (s) => s.phase === "encoding" || finished(s), { intervalMs: 100 });
    await control("postgres/stop");
    let ready;
    try {
      expect(await row(id).then(() => "reachable", () => "down")).toBe("down");
      // The lifecycle lives in the Durable Object: callbacks still land and the item becomes ready.
      ready = await waitFor(env.url, me.token, id, finished);
      expect(ready.status).toBe("ready");
    } finally {
      await control("postgres/start");
    }
    const r = await rowWhen(id, (x) => x.status === "ready", 120_000);
    expect(r).toMatchObject({
      hls_master_playlist_key: ready.output.hlsMasterKey,
      thumbnail_key: ready.output.thumbnailKey,
      runpod_job_id: ready.jobId,
      attempt_id: ready.attemptId,
      transcoding_percent: 100,
    });
    expect(r.ready_variants).toEqual(["360p"]);
    expect(Number(r.projection_version)).toBe(ready.version);
  });
});
