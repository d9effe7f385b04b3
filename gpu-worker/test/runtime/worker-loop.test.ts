import { afterEach, describe, expect, it } from "vitest";
import { startRunpodStandin, type RunpodStandin } from "../../../dev/runpod-standin.ts";
import { RunpodWorker, workerEnvFrom, type JobRunner } from "../../src/runtime/runpod-worker.ts";
import { until } from "./support.ts";

const API_KEY = "client-key";
const WORKER_KEY = "worker-key";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(runner: JobRunner, opts: { longPollMs?: number } = {}) {
  const standin = await startRunpodStandin({ apiKey: API_KEY, workerKey: WORKER_KEY, longPollMs: opts.longPollMs ?? 300 });
  const worker = new RunpodWorker(workerEnvFrom({ ...standin.workerEnv(`pod-${crypto.randomUUID()}`), RUNPOD_PING_INTERVAL: "100" }), runner, {
    log: process.env.DEBUG_WORKER ? (e, f) => console.log(e, f) : undefined,
  });
  void worker.start();
  cleanups.push(() => standin.stop(), () => worker.shutdown("test"));
  return { standin, worker };
}

async function client(standin: RunpodStandin, method: string, path: string, body?: unknown, key = API_KEY) {
  const res = await fetch(`${standin.apiBase}/${standin.endpointId}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

const waitStatus = (standin: RunpodStandin, id: string, status: string) => until(() => standin.jobs.get(id)?.status === status, 10_000);

describe("RunPod worker loop against the stand-in's job API", () => {
  it("takes a job, reports progress through the done URL, and its result becomes /status's output", async () => {
    const progress: unknown[] = [];
    let release!: () => void;
    const { standin } = await setup(async (job, ctx) => {
      ctx.onProgress({ phase: "encoding", percent: 40 });
      await new Promise<void>((r) => (release = r));
      return { output: { echoed: job.input } };
    });
    const run = await client(standin, "POST", "/run", { input: { n: 1 }, policy: { executionTimeout: 60_000 } });
    expect(run.body).toMatchObject({ status: "IN_QUEUE" });
    const id = run.body.id as string;
    await waitStatus(standin, id, "IN_PROGRESS");
    await until(() => standin.jobs.get(id)?.progress !== undefined);
    progress.push((await client(standin, "GET", `/status/${id}`)).body.output);
    expect(progress).toEqual([{ phase: "encoding", percent: 40 }]);
    release();
    await waitStatus(standin, id, "COMPLETED");
    expect((await client(standin, "GET", `/status/${id}`)).body).toMatchObject({ status: "COMPLETED", output: { echoed: { n: 1 } } });
  });

  it("a handler's error marks the job FAILED with its output kept", async () => {
    const { standin } = await setup(async () => ({ output: { status: "failed" }, error: "ENCODE_FAILED: x" }));
    const id = (await client(standin, "POST", "/run", { input: {} })).body.id as string;
    await waitStatus(standin, id, "FAILED");
    expect((await client(standin, "GET", `/status/${id}`)).body).toMatchObject({ status: "FAILED", error: "ENCODE_FAILED: x", output: { status: "failed" } });
  });

  it("takes jobs one after another", async () => {
    const { standin, worker } = await setup(async (job) => ({ output: job.input }));
    const ids = await Promise.all([1, 2, 3].map(async (n) => (await client(standin, "POST", "/run", { input: { n } })).body.id as string));
    await until(() => worker.completed.length === 3);
    expect(worker.completed).toEqual(ids);
  });

  it("a cancel reaches the running handler through the stop channel and aborts it", async () => {
    let aborted = false;
    const { standin } = await setup(
      (_job, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve({ output: { status: "failed" }, error: "CANCELLED: stopped" });
          });
        }),
    );
    const id = (await client(standin, "POST", "/run", { input: {} })).body.id as string;
    await waitStatus(standin, id, "IN_PROGRESS");
    expect((await client(standin, "POST", `/cancel/${id}`)).body).toMatchObject({ status: "CANCELLED" });
    await until(() => aborted);
    // The late done call does not turn a cancelled job into a failed one.
    await new Promise((r) => setTimeout(r, 100));
    expect(standin.jobs.get(id)?.status).toBe("CANCELLED");
  });

  it("the execution timeout of the job's policy stops the handler and reads TIMED_OUT", async () => {
    let aborted = false;
    const { standin } = await setup((_job, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => {
      aborted = true;
      resolve({ error: "stopped" });
    })));
    const id = (await client(standin, "POST", "/run", { input: {}, policy: { executionTimeout: 200 } })).body.id as string;
    await waitStatus(standin, id, "TIMED_OUT");
    await until(() => aborted);
  });

  it("shutdown (SIGTERM) aborts the running job, reports it, and takes nothing more", async () => {
    let started = 0;
    const { standin, worker } = await setup((_job, ctx) => {
      started++;
      return new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve({ error: "CANCELLED: worker shutting down" })));
    });
    const id = (await client(standin, "POST", "/run", { input: {} })).body.id as string;
    await until(() => started === 1);
    await worker.shutdown("SIGTERM");
    expect(standin.jobs.get(id)?.status).toBe("FAILED");
    const next = (await client(standin, "POST", "/run", { input: {} })).body.id as string;
    await new Promise((r) => setTimeout(r, 400));
    expect(standin.jobs.get(next)?.status).toBe("IN_QUEUE");
    expect(started).toBe(1);
  });

  it("pings while alive, and the client and worker keys are both checked", async () => {
    const { standin } = await setup(async () => ({ output: {} }));
    await until(() => true);
    await new Promise((r) => setTimeout(r, 250));
    expect((await client(standin, "GET", "/health")).body).toMatchObject({ workers: { idle: 1, running: 0 } });
    expect((await client(standin, "GET", "/health", undefined, "wrong")).status).toBe(401);
    const take = await fetch(`${standin.apiBase}/${standin.endpointId}/job-take/pod-x`, { headers: { authorization: "wrong" } });
    expect(take.status).toBe(401);
    expect((await client(standin, "POST", "/run", { nope: 1 })).status).toBe(400);
    expect((await client(standin, "GET", "/status/unknown-id")).status).toBe(404);
  });
});
