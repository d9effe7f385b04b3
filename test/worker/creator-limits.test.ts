import { describe, expect, it } from "vitest";
import { uploadAll } from "../../dev/multipart-client.ts";
import { adminToken, api, apiAs, useFakeRunpod, SMALL_MP4, payloadFor, rowWhen, sendCallback, tokenFor, uuid, videoOutput } from "./helpers.ts";

// vitest.config.ts: LIMIT_JOBS_IN_FLIGHT 2, LIMIT_JOBS_PER_DAY 4, LIMIT_UPLOAD_BYTES_PER_DAY 10 MB (the upload tests send a 1 MB file).
const runpod = useFakeRunpod();

/** One creator's uploaded items (11 bytes each, as helpers.uploadedItem), created through the API. */
async function creatorWith(n: number) {
  const creatorId = uuid();
  const token = await tokenFor(creatorId);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const reg = await api("POST", "/api/media", { token, body: { mediaType: "video", filename: `c${i}.mp4`, size: 11, contentType: "video/mp4" } });
    expect(reg.status).toBe(201);
    expect((await uploadAll(apiAs(token), reg.body.id, async () => SMALL_MP4)).status).toBe(200);
    ids.push(reg.body.id);
  }
  return { creatorId, token, ids };
}

const trigger = (id: string, token: string) => api("POST", `/api/media/${id}/transcode`, { token });
const jobOf = (mediaId: string) => {
  const run = runpod.runs.findLast((r) => r.input.mediaId === mediaId)!;
  const n = runpod.runs.lastIndexOf(run) + 1;
  return { jobId: `job-${n}-${run.input.attemptId.slice(0, 8)}`, input: run.input };
};

describe("per-creator limits on GPU spending", () => {
  it("a third job in flight is 429 with Retry-After and dispatches nothing; when one finishes, it goes", async () => {
    const c = await creatorWith(3);
    expect((await trigger(c.ids[0]!, c.token)).status).toBe(202);
    expect((await trigger(c.ids[1]!, c.token)).status).toBe(202);
    const third = await trigger(c.ids[2]!, c.token);
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 30 } });
    expect(third.headers.get("retry-after")).toBe("30");
    expect(runpod.runs).toHaveLength(2);
    // Another creator is not held back by this one.
    const other = await creatorWith(1);
    expect((await trigger(other.ids[0]!, other.token)).status).toBe(202);

    const job = jobOf(c.ids[0]!);
    await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect((await trigger(c.ids[2]!, c.token)).status).toBe(202);
  });

  it("jobs per day: the fifth start in 24 h is 429 with a Retry-After of up to a day; a dispatch RunPod refused is not counted", async () => {
    const c = await creatorWith(3);
    const endWithFailure = async (id: string) => {
      const job = jobOf(id);
      await sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true } }));
    };
    runpod.mode = "500";
    expect((await trigger(c.ids[0]!, c.token)).status).toBe(502); // refunded
    runpod.mode = "ok";
    for (const id of c.ids.slice(0, 2)) {
      expect((await trigger(id, c.token)).status).toBe(202);
      await endWithFailure(id);
      expect((await api("POST", `/api/media/${id}/retry-transcoding`, { token: c.token })).status).toBe(202);
      await endWithFailure(id);
    }
    const fifth = await trigger(c.ids[2]!, c.token);
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers.get("retry-after"))).toBeGreaterThan(86_000);
    expect(Number(fifth.headers.get("retry-after"))).toBeLessThanOrEqual(86_400);
    expect(fifth.body.error.message).toContain("4 jobs in the last 24 hours");
  });

  it("bytes uploaded per day: a registration past the allowance is 429 and creates nothing", async () => {
    const token = await tokenFor(uuid());
    const register = (size: number) => api("POST", "/api/media", { token, body: { mediaType: "video", filename: "big.mp4", size, contentType: "video/mp4" } });
    expect((await register(6_000_000)).status).toBe(201);
    const over = await register(6_000_000);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe("RATE_LIMITED");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(86_000);
    expect((await register(4_000_000)).status).toBe(201); // what still fits
    const tooBig = await register(50_000_000);
    expect(tooBig.body.error.message).toContain("larger than the creator's daily allowance");
  });

  it("the dashboard's overview shows the limits and each creator's usage against them", async () => {
    const c = await creatorWith(2);
    await trigger(c.ids[0]!, c.token);
    await trigger(c.ids[1]!, c.token);
    await rowWhen(c.ids[1]!, (r) => r.status === "transcoding");
    const res = await api("GET", "/api/admin/overview", { token: await adminToken() });
    expect(res.body.limits).toEqual({ jobsInFlight: 2, jobsPerDay: 4, registrationsPerDay: 10, openUploads: 6, uploadBytesPerDay: 10_000_000 });
    expect(res.body.creators.find((r: { creatorId: string }) => r.creatorId === c.creatorId)).toEqual({
      creatorId: c.creatorId,
      jobsInFlight: 2,
      jobsLast24h: 2,
      uploadBytesLast24h: 22,
    });
  });
});
