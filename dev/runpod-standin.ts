import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for RunPod serverless. It serves the client API the control plane calls
 * (`/v2/{endpoint}/run|status|cancel|health`, bearer key) and the worker API that RunPod's
 * workers poll (`job-take`, `job-done`, `job-stop`, `ping`, raw key), so the same dispatch,
 * reconciliation and worker-loop code runs here and on RunPod. Jobs live in memory, as
 * RunPod keeps results only for a while.
 */
export type JobStatus = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";

export interface StandinJob {
  id: string;
  input: unknown;
  status: JobStatus;
  output?: unknown;
  error?: string;
  progress?: unknown;
  podId: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  executionTimeoutMs: number | null;
  stopRequested: boolean;
}

export interface StandinOptions {
  port?: number;
  endpointId?: string;
  apiKey: string;
  workerKey: string;
  /** How long job-take and job-stop hold a request open before answering 204. */
  longPollMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface RunpodStandin {
  /** What the control plane uses as RUNPOD_API_BASE. */
  apiBase: string;
  endpointId: string;
  jobs: Map<string, StandinJob>;
  /** The environment RunPod gives a worker container. */
  workerEnv(podId: string): Record<string, string>;
  /**
   * Keeps the queued jobs whose input matches in the queue (as RunPod does with no worker free)
   * until the returned release is called: tests hold a chunk to see an item playable but not ready.
   */
  hold(match: (input: unknown) => boolean): () => void;
  stop(): Promise<void>;
}

const TERMINAL = new Set<JobStatus>(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

export async function startRunpodStandin(opts: StandinOptions): Promise<RunpodStandin> {
  const endpointId = opts.endpointId ?? "local-endpoint";
  const longPollMs = opts.longPollMs ?? 20_000;
  const jobs = new Map<string, StandinJob>();
  const queue: string[] = [];
  const takers = new Set<() => void>();
  const stopWaiters = new Set<() => void>();
  const pings = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const log = opts.log ?? (() => {});

  const wake = (set: Set<() => void>) => {
    for (const fn of [...set]) fn();
  };
  const finish = (job: StandinJob, status: JobStatus, fields: Partial<StandinJob> = {}) => {
    Object.assign(job, fields, { status, finishedAt: Date.now() });
    log("standin.job", { id: job.id, status });
  };
  const requestStop = (job: StandinJob) => {
    job.stopRequested = true;
    wake(stopWaiters);
  };

  const view = (job: StandinJob) => ({
    id: job.id,
    status: job.status,
    delayTime: (job.startedAt ?? Date.now()) - job.createdAt,
    ...(job.startedAt ? { executionTime: (job.finishedAt ?? Date.now()) - job.startedAt } : {}),
    ...(job.output !== undefined ? { output: job.output } : {}),
    ...(job.error !== undefined ? { error: job.error } : {}),
    ...(job.status === "IN_PROGRESS" && job.progress !== undefined ? { output: job.progress } : {}),
    ...(job.podId ? { workerId: job.podId } : {}),
  });

  const holds = new Set<(input: unknown) => boolean>();
  const held = (job: StandinJob) => [...holds].some((m) => m(job.input));

  function take(podId: string): StandinJob | null {
    for (let i = 0; i < queue.length; ) {
      const job = jobs.get(queue[i]!);
      if (job && job.status === "IN_QUEUE" && held(job)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      if (!job || job.status !== "IN_QUEUE") continue;
      job.status = "IN_PROGRESS";
      job.podId = podId;
      job.startedAt = Date.now();
      if (job.executionTimeoutMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (job.status !== "IN_PROGRESS") return;
          finish(job, "TIMED_OUT");
          requestStop(job);
        }, job.executionTimeoutMs);
        timers.add(timer);
      }
      log("standin.job", { id: job.id, status: "IN_PROGRESS", podId });
      return job;
    }
    return null;
  }

  /** Holds the request until `ready()` gives an answer or the long poll ends. */
  function longPoll<T>(res: http.ServerResponse, set: Set<() => void>, ready: () => T | null): Promise<T | null> {
    const now = ready();
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (value: T | null) => {
        set.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const check = () => {
        const v = ready();
        if (v !== null) done(v);
      };
      const timer = setTimeout(() => done(null), longPollMs);
      res.on("close", () => done(null));
      set.add(check);
    });
  }

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body?: unknown) => {
      if (res.headersSent) return;
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://standin");
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] !== "v2" || parts[1] !== endpointId) return send(404, { error: "unknown endpoint" });
    const [, , action, a, b] = parts;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> = {};
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(400, { error: "body is not JSON" });
      }
    }
    const auth = req.headers.authorization ?? "";
    const workerRoute = ["job-take", "job-done", "job-stop", "ping"].includes(action ?? "");
    if (workerRoute ? auth !== opts.workerKey : auth !== `Bearer ${opts.apiKey}`) return send(401, { error: "Unauthorized" });

    switch (`${req.method} ${action}`) {
      case "POST run": {
        if (body.input === undefined || typeof body.input !== "object") return send(400, { error: "input is required" });
        if (Buffer.concat(chunks).length > 10 * 1024 * 1024) return send(413, { error: "payload over 10 MB" });
        const policy = (body.policy ?? {}) as { executionTimeout?: number };
        const job: StandinJob = {
          id: `${randomUUID()}-u1`,
          input: body.input,
          status: "IN_QUEUE",
          podId: null,
          createdAt: Date.now(),
          startedAt: null,
          finishedAt: null,
          executionTimeoutMs: typeof policy.executionTimeout === "number" ? policy.executionTimeout : 600_000,
          stopRequested: false,
        };
        jobs.set(job.id, job);
        queue.push(job.id);
        log("standin.job", { id: job.id, status: "IN_QUEUE" });
        const answer = { id: job.id, status: job.status };
        wake(takers);
        return send(200, answer);
      }
      case "GET status": {
        const job = jobs.get(a ?? "");
        return job ? send(200, view(job)) : send(404, { error: "request does not exist" });
      }
      case "POST cancel": {
        const job = jobs.get(a ?? "");
        if (!job) return send(404, { error: "request does not exist" });
        if (!TERMINAL.has(job.status)) {
          const running = job.status === "IN_PROGRESS";
          finish(job, "CANCELLED");
          if (running) requestStop(job);
        }
        return send(200, { id: job.id, status: job.status });
      }
      case "GET health": {
        const all = [...jobs.values()];
        const count = (s: JobStatus) => all.filter((j) => j.status === s).length;
        const alive = [...pings.entries()].filter(([, at]) => Date.now() - at < 60_000).map(([pod]) => pod);
        const running = new Set(all.filter((j) => j.status === "IN_PROGRESS").map((j) => j.podId));
        return send(200, {
          jobs: { completed: count("COMPLETED"), failed: count("FAILED"), inProgress: count("IN_PROGRESS"), inQueue: count("IN_QUEUE"), retried: 0 },
          workers: { idle: alive.filter((p) => !running.has(p)).length, running: alive.filter((p) => running.has(p)).length },
        });
      }
      case "GET job-take": {
        pings.set(a ?? "", Date.now());
        const job = await longPoll(res, takers, () => take(a ?? ""));
        return job ? send(200, { id: job.id, input: job.input }) : send(204);
      }
      case "POST job-done": {
        const job = jobs.get(b ?? "");
        if (!job) return send(404, { error: "request does not exist" });
        if (job.status !== "IN_PROGRESS") return send(200, { ignored: job.status }); // cancelled or timed out meanwhile
        if (body.status === "IN_PROGRESS") {
          job.progress = body.output;
          return send(200, {});
        }
        finish(job, typeof body.error === "string" ? "FAILED" : "COMPLETED", {
          output: body.output,
          ...(typeof body.error === "string" ? { error: body.error } : {}),
        });
        return send(200, {});
      }
      case "GET job-stop": {
        const pod = a ?? "";
        const ids = await longPoll(res, stopWaiters, () => {
          const list = [...jobs.values()].filter((j) => j.podId === pod && j.stopRequested);
          for (const j of list) j.stopRequested = false;
          return list.length ? list.map((j) => j.id) : null;
        });
        return ids ? send(200, { ids }) : send(204);
      }
      case "GET ping": {
        pings.set(a ?? "", Date.now());
        return send(200, {});
      }
      default:
        return send(404, { error: `no route ${req.method} ${action}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiBase: `${origin}/v2`,
    endpointId,
    jobs,
    workerEnv: (podId) => ({
      RUNPOD_POD_ID: podId,
      RUNPOD_AI_API_KEY: opts.workerKey,
      RUNPOD_WEBHOOK_GET_JOB: `${origin}/v2/${endpointId}/job-take/$ID?gpu=cpu`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${origin}/v2/${endpointId}/job-done/$RUNPOD_POD_ID/$ID?gpu=cpu`,
      RUNPOD_WEBHOOK_PING: `${origin}/v2/${endpointId}/ping/$RUNPOD_POD_ID?gpu=cpu`,
      RUNPOD_PING_INTERVAL: "10000",
    }),
    hold: (match) => {
      holds.add(match);
      return () => {
        holds.delete(match);
        wake(takers);
      };
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      wake(takers);
      wake(stopWaiters);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
