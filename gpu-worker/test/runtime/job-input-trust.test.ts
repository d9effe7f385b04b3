import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobInput, originalKey } from "../../../src/contract/index.ts";
import { handlerDepsFrom } from "../../src/runtime/config.ts";
import { handleJob, scratchName, type HandlerDeps } from "../../src/runtime/job-handler.ts";
import { fixture } from "../support.ts";
import { handlerDeps, localS3, webhookReceiver } from "./support.ts";

let s3: Awaited<ReturnType<typeof localS3>>;
let hook: Awaited<ReturnType<typeof webhookReceiver>>;
beforeAll(async () => {
  s3 = await localS3();
  hook = await webhookReceiver();
});
afterAll(async () => {
  await hook.close();
  await s3.stop();
});

const deps = (scratchRoot: string): HandlerDeps =>
  handlerDeps(s3, hook, scratchRoot, { archive: null, callbacks: { retryBaseMs: 10, terminalDeadlineMs: 1000, progressIntervalMs: 0 } });

function ids() {
  const creatorId = randomUUID();
  const mediaId = randomUUID();
  return { creatorId, mediaId, attemptId: randomUUID(), mediaType: "video" as const, contractVersion: 1 as const };
}

describe("the GPU worker trusts no part of a job it did not check", () => {
  it("a webhookUrl outside WEBHOOK_ALLOWED_ORIGINS: refused to RunPod, and nobody is called back", async () => {
    const id = ids();
    const inputKey = originalKey(id.creatorId, id.mediaId, "small.mp4");
    await s3.store("media").upload(inputKey, fixture("small.mp4"));
    const elsewhere = await webhookReceiver();
    try {
      const outcome = await handleJob({ id: `job-${randomUUID()}`, input: { ...id, inputKey, webhookUrl: elsewhere.url } }, deps(mkdtempSync(join(tmpdir(), "scratch-"))));
      expect(outcome).toMatchObject({ kind: "invalid", message: expect.stringContaining("WEBHOOK_ALLOWED_ORIGINS") });
      expect(elsewhere.received).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it("an inputKey that is not one file in the item's own originals folder fails the contract: nothing is read", () => {
    const id = ids();
    const other = ids();
    const bad = [
      originalKey(other.creatorId, other.mediaId, "theirs.mp4"), // another item's original
      `${id.creatorId}/hls/${id.mediaId}/${randomUUID()}/720p/seg_00000.ts`, // an output, not an original
      `${id.creatorId}/originals/${id.mediaId}/../../${other.mediaId}/x.mp4`,
      `${id.creatorId}/originals/${id.mediaId}/..`,
      `${id.creatorId}/originals/${id.mediaId}/`,
    ];
    for (const inputKey of bad) {
      const parsed = jobInput.safeParse({ ...id, inputKey, webhookUrl: hook.url });
      expect(parsed.success, inputKey).toBe(false);
    }
    expect(jobInput.safeParse({ ...id, inputKey: originalKey(id.creatorId, id.mediaId, "clip_one.mp4"), webhookUrl: hook.url }).success).toBe(true);
  });

  it("a job id of `..` cannot make the cleanup reach above the scratch root", async () => {
    const parent = mkdtempSync(join(tmpdir(), "scratch-parent-"));
    const root = join(parent, "root");
    mkdirSync(root);
    writeFileSync(join(parent, "keep-me"), "a sibling of the scratch root");
    const id = ids();
    const inputKey = originalKey(id.creatorId, id.mediaId, "missing.mp4"); // fails fast: not in the bucket
    for (const jobId of ["..", ".", "../..", "a/../../b"]) {
      await handleJob({ id: jobId, input: { ...id, attemptId: randomUUID(), inputKey, webhookUrl: hook.url } }, deps(root));
      expect(existsSync(join(parent, "keep-me")), jobId).toBe(true);
      expect(existsSync(root), jobId).toBe(true);
    }
    expect(readdirSync(root)).toEqual([]);
    expect(scratchName("..")).toBe("job-__");
    expect(scratchName("a/../../b")).toBe("job-a_______b");
  });
});

describe("settings fail loudly at start", () => {
  const base = { S3_ENDPOINT: "http://127.0.0.1:1", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s", RUNPOD_WEBHOOK_SECRET: "x", WEBHOOK_ALLOWED_ORIGINS: "https://transcode.example.com" };
  it("a MAX_INPUT_SECONDS that is not a positive number stops the worker instead of turning the limit off", () => {
    for (const v of ["abc", "-5", "0", "NaN"]) expect(() => handlerDepsFrom({ ...base, MAX_INPUT_SECONDS: v })).toThrow(/MAX_INPUT_SECONDS must be a positive number/);
    expect(handlerDepsFrom({ ...base, MAX_INPUT_SECONDS: "7200" }).maxDurationSeconds).toBe(7200);
  });
  it("WEBHOOK_ALLOWED_ORIGINS is required and holds origins only", () => {
    const { WEBHOOK_ALLOWED_ORIGINS: _, ...without } = base;
    expect(() => handlerDepsFrom(without)).toThrow(/WEBHOOK_ALLOWED_ORIGINS is not set/);
    for (const v of ["transcode.example.com", "https://transcode.example.com/api", "ftp://x.example"]) {
      expect(() => handlerDepsFrom({ ...base, WEBHOOK_ALLOWED_ORIGINS: v }), v).toThrow(/not an origin/);
    }
    expect(handlerDepsFrom({ ...base, WEBHOOK_ALLOWED_ORIGINS: "https://a.example, http://127.0.0.1:8787/" }).allowedWebhookOrigins).toEqual([
      "https://a.example",
      "http://127.0.0.1:8787",
    ]);
  });
});
