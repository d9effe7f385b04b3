import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { call, corruptFile, creator, env, finished, fixture, putObject, row, rowWhen, upload, waitFor } from "./support.ts";

describe("a corrupt upload, then a good file and the retry", () => {
  it("ends failed with its error code; once a good file is in place the one retry makes it ready", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, corruptFile());
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const failed = await waitFor(env.url, me.token, id, finished);
    expect(failed.status).toBe("failed");
    expect(failed.error.code).toBe("INPUT_UNREADABLE");
    // A message for people: no paths of the worker's machine.
    expect(failed.error.message).toMatch(/the original/);
    expect(failed.error.message).not.toMatch(/\/tmp|scratch/);
    const failedRow = await rowWhen(id, (r) => r.status === "failed");
    expect(failedRow).toMatchObject({ transcoding_error_code: "INPUT_UNREADABLE", transcoding_attempts: 0 });

    // The creator replaces the original (same key), then uses the one retry.
    await putObject(failedRow.r2_key, readFileSync(fixture("small.mp4")));
    const retried = await call(env.url, "POST", `/api/media/${id}/retry-transcoding`, me.token);
    expect(retried).toMatchObject({ status: "transcoding", retriesUsed: 1, error: null });
    const ready = await waitFor(env.url, me.token, id, finished);
    expect(ready).toMatchObject({ status: "ready", retriesUsed: 1, readyVariants: ["360p"] });
    expect(await rowWhen(id, (r) => r.status === "ready")).toMatchObject({ transcoding_attempts: 1, transcoding_error: null });

    // The retry is spent.
    const again = await fetch(`${env.url}/api/media/${id}/retry-transcoding`, { method: "POST", headers: { authorization: `Bearer ${me.token}` } });
    expect(again.status).toBe(422);
    expect((await row(id))!.transcoding_attempts).toBe(1);
  });
});
