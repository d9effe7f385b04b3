import { beforeEach, afterEach, vi } from "vitest";
import type { JobInput } from "../../../src/contract/index.ts";

/** RunPod at the fetch boundary: the Worker's outbound calls to runpod.test, answered here. */
export interface FakeRunpod {
  runs: { input: JobInput; policy: unknown; auth: string | null }[];
  cancels: string[];
  /** Every other request the Worker and its objects sent (storage, Postgres' HTTP, subscribers), in order. */
  outbound: { method: string; url: string }[];
  /** What /run does next: answer, fail with 500, never answer, or take the job and then never answer. */
  mode: "ok" | "500" | "hang" | "accept-then-hang";
  /** What /status answers per job id. */
  statuses: Map<string, { status: string; output?: unknown; error?: string }>;
  lastJob(): { jobId: string; input: JobInput };
  restore(): void;
}

export function fakeRunpod(): FakeRunpod {
  const realFetch = globalThis.fetch;
  const fake: FakeRunpod = {
    runs: [],
    cancels: [],
    outbound: [],
    mode: "ok",
    statuses: new Map(),
    lastJob() {
      const run = fake.runs.at(-1);
      if (!run) throw new Error("no job was dispatched");
      return { jobId: `job-${fake.runs.length}-${run.input.attemptId.slice(0, 8)}`, input: run.input };
    },
    restore: () => spy.mockRestore(),
  };
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    // Look at the URL first: building a Request from another one would use up its body.
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.host !== "runpod.test") {
      fake.outbound.push({ method: init?.method ?? (input instanceof Request ? input.method : "GET"), url: url.href });
      return realFetch(input, init);
    }
    const req = new Request(input, init);
    const path = url.pathname.replace("/v2/endpoint-test", "");
    if (path === "/run") {
      if (fake.mode === "500") return new Response("internal error", { status: 500 });
      if (fake.mode === "hang") {
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
      }
      const body = (await req.json()) as { input: JobInput; policy: unknown };
      fake.runs.push({ input: body.input, policy: body.policy, auth: req.headers.get("authorization") });
      if (fake.mode === "accept-then-hang") {
        // RunPod took the job; its answer is lost on the way back.
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
      }
      return Response.json({ id: fake.lastJob().jobId, status: "IN_QUEUE" });
    }
    const status = /^\/status\/(.+)$/.exec(path);
    if (status) {
      const s = fake.statuses.get(decodeURIComponent(status[1]!));
      return s ? Response.json({ id: status[1], ...s }) : new Response("not found", { status: 404 });
    }
    const cancel = /^\/cancel\/(.+)$/.exec(path);
    if (cancel) {
      fake.cancels.push(decodeURIComponent(cancel[1]!));
      return Response.json({ id: cancel[1], status: "CANCELLED" });
    }
    return new Response("unknown route", { status: 404 });
  });
  return fake;
}

/**
 * A fresh fake RunPod for every test of the file (set up before each, restored after each),
 * through one handle that always speaks for the current test's fake.
 */
export function useFakeRunpod(): FakeRunpod {
  let current: FakeRunpod | null = null;
  beforeEach(() => {
    current = fakeRunpod();
  });
  afterEach(() => current?.restore());
  const now = () => {
    if (!current) throw new Error("the fake RunPod is only there inside a test");
    return current;
  };
  return new Proxy({} as FakeRunpod, {
    get: (_, name) => Reflect.get(now(), name),
    set: (_, name, value) => Reflect.set(now(), name, value),
  });
}
