import { describe, expect, it } from "vitest";
import { call, control, creator, env, finished, fixture, rowWhen, upload, waitFor } from "./support.ts";

describe("the GPU worker dies mid-job", () => {
  it("the alarm reconciles through RunPod's /status once the job is silent for the stall window, and the item ends failed TIMED_OUT", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("hd.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    await waitFor(env.url, me.token, id, (s) => s.phase === "encoding" || finished(s), { intervalMs: 100 });
    await control("worker/kill");
    const killedAt = Date.now();
    try {
      const failed = await waitFor(env.url, me.token, id, finished, { timeoutMs: (env.stuckJobFloorSeconds + 60) * 1000, intervalMs: 500 });
      expect(failed.status).toBe("failed");
      expect(failed.error.code).toBe("TIMED_OUT");
      // Not before the stall window has passed since the job went silent: the alarm, not a guess, decided.
      expect(Date.now() - killedAt).toBeGreaterThan((env.stuckJobFloorSeconds - 5) * 1000);
      expect(failed.error.message).toMatch(/No progress from the job/);
      expect(await rowWhen(id, (r) => r.status === "failed")).toMatchObject({ transcoding_error_code: "TIMED_OUT", transcoding_attempts: 0 });
    } finally {
      await control("worker/start");
    }
    // With a worker back, the retry goes through.
    await call(env.url, "POST", `/api/media/${id}/retry-transcoding`, me.token);
    expect(await waitFor(env.url, me.token, id, finished)).toMatchObject({ status: "ready", retriesUsed: 1 });
  });
});
