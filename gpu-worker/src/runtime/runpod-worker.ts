import type { Phase } from "../../../src/contract/index.ts";
import { backoffMs, sleep, withRetry } from "./retry.ts";

/**
 * RunPod's serverless worker protocol, read from its Python SDK (runpod-python:
 * serverless/modules/rp_job.py, rp_http.py, rp_ping.py, rp_progress.py) since RunPod ships
 * no JavaScript runtime:
 * - take:  GET  RUNPOD_WEBHOOK_GET_JOB ($ID → pod id) + `&job_in_progress=0|1`; 200 {id, input}, 204/400 none yet
 * - done:  POST RUNPOD_WEBHOOK_POST_OUTPUT ($RUNPOD_POD_ID → pod id, $ID → job id), JSON {output} or {output, error}
 * - progress: the same done URL with {status: "IN_PROGRESS", output}
 * - ping:  GET  RUNPOD_WEBHOOK_PING ($RUNPOD_POD_ID → pod id) ?job_id=…, every RUNPOD_PING_INTERVAL ms
 * - stop:  GET  the take URL with /job-take/ → /job-stop/ (long poll, runpod-python #510); 200 names jobs to stop
 * Every call carries `Authorization: <RUNPOD_AI_API_KEY>` (no scheme).
 */
export interface WorkerEnv {
  jobTakeUrl: string;
  jobDoneUrl: string;
  pingUrl: string | null;
  apiKey: string;
  podId: string;
  pingIntervalMs: number;
}

export function workerEnvFrom(env: NodeJS.ProcessEnv): WorkerEnv {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set: this process must run as a RunPod serverless worker (or under the local stand-in)`);
    return v;
  };
  const podId = need("RUNPOD_POD_ID");
  return {
    jobTakeUrl: need("RUNPOD_WEBHOOK_GET_JOB").replaceAll("$ID", podId),
    jobDoneUrl: need("RUNPOD_WEBHOOK_POST_OUTPUT").replaceAll("$RUNPOD_POD_ID", podId),
    pingUrl: env.RUNPOD_WEBHOOK_PING ? env.RUNPOD_WEBHOOK_PING.replaceAll("$RUNPOD_POD_ID", podId) : null,
    apiKey: need("RUNPOD_AI_API_KEY"),
    podId,
    pingIntervalMs: Number(env.RUNPOD_PING_INTERVAL ?? 10_000),
  };
}

/** A job as RunPod hands it out (`/job-take`) and as the job handler receives it. */
export interface RunpodJob {
  id: string;
  input: unknown;
}

/** What goes back through the done URL: RunPod's /status shows it as the job's output. */
export interface DoneBody {
  output?: unknown;
  error?: string;
}

export type JobRunner = (
  job: RunpodJob,
  ctx: { signal: AbortSignal; onProgress: (p: { phase: Phase; percent: number }) => void },
) => Promise<DoneBody>;

export interface WorkerOptions {
  takeTimeoutMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
  fetch?: typeof fetch;
}

const withQuery = (url: string, query: string) => url + (url.includes("?") ? "&" : "?") + query;

export class RunpodWorker {
  private stopping = false;
  private readonly pollAbort = new AbortController();
  private current: { id: string; abort: AbortController } | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private stopChannel = true;
  /** Ids of the last jobs this worker finished, oldest first (bounded: a worker lives for many jobs). */
  readonly completed: string[] = [];
  private readonly fetch: typeof fetch;

  constructor(
    private readonly env: WorkerEnv,
    private readonly runner: JobRunner,
    private readonly opts: WorkerOptions = {},
  ) {
    this.fetch = opts.fetch ?? fetch;
  }

  private log(event: string, fields: Record<string, unknown> = {}) {
    this.opts.log?.(event, { podId: this.env.podId, ...fields });
  }

  private call(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const signals = [AbortSignal.timeout(init.timeoutMs ?? 30_000)];
    if (init.signal) signals.push(init.signal);
    return this.fetch(url, { ...init, headers: { authorization: this.env.apiKey, ...(init.headers ?? {}) }, signal: AbortSignal.any(signals) });
  }

  /** Takes and runs jobs one at a time until `shutdown`. */
  start(): Promise<void> {
    this.startPing();
    this.loop ??= this.takeLoop();
    return this.loop;
  }

  private async takeLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let job: RunpodJob | null = null;
      try {
        const res = await this.call(withQuery(this.env.jobTakeUrl, `job_in_progress=${this.current ? 1 : 0}`), {
          signal: this.pollAbort.signal,
          timeoutMs: this.opts.takeTimeoutMs ?? 90_000,
        });
        if (res.status === 200) {
          const body = (await res.json()) as Partial<RunpodJob> | Partial<RunpodJob>[];
          const first = Array.isArray(body) ? body[0] : body;
          if (first && typeof first.id === "string" && first.input !== undefined) job = { id: first.id, input: first.input };
          else this.log("worker.take.malformed", { body: JSON.stringify(body).slice(0, 200) });
        } else {
          await res.body?.cancel();
          if (res.status !== 204 && res.status !== 400) this.log("worker.take.status", { status: res.status });
        }
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures++;
        this.log("worker.take.error", { error: (error as Error).message });
        await sleep(backoffMs(failures + 1, 250, 5000)).catch(() => {});
        continue;
      }
      if (job) await this.runJob(job);
    }
  }

  private async runJob(job: RunpodJob): Promise<void> {
    const abort = new AbortController();
    this.current = { id: job.id, abort };
    this.log("worker.job.taken", { jobId: job.id });
    const stopWatch = this.watchStop(job.id, abort);
    // Already throttled by the job's callback sender: each one that left is told to RunPod too.
    const onProgress = (p: { phase: Phase; percent: number }) => void this.postDone(job.id, { status: "IN_PROGRESS", output: p }, 1);
    let body: DoneBody;
    try {
      body = await this.runner(job, { signal: abort.signal, onProgress });
    } catch (error) {
      body = { error: `handler threw: ${(error as Error).message}` };
    } finally {
      stopWatch.abort();
      this.current = null;
    }
    await this.postDone(job.id, body, 3);
    this.completed.push(job.id);
    if (this.completed.length > 100) this.completed.shift();
    this.log("worker.job.done", { jobId: job.id, error: body.error ?? null });
  }

  private async postDone(jobId: string, body: object, attempts: number): Promise<void> {
    const url = this.env.jobDoneUrl.replaceAll("$ID", encodeURIComponent(jobId));
    await withRetry(
      async (attempt) => {
        let res: Response;
        try {
          res = await this.call(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        } catch (error) {
          this.log("worker.done.error", { jobId, error: (error as Error).message, attempt });
          throw error;
        }
        await res.body?.cancel();
        if (res.ok) return;
        this.log("worker.done.status", { jobId, status: res.status, attempt });
        throw new Error(`job-done answered ${res.status}`);
      },
      { attempts, baseMs: 500 },
      // Given up after `attempts`: RunPod times the job out on its side; nothing more to do here.
    ).catch(() => {});
  }

  /** Long-polls the stop channel while a job runs; a stop for this job aborts it (and kills FFmpeg). */
  private watchStop(jobId: string, job: AbortController): AbortController {
    const watch = new AbortController();
    const url = this.env.jobTakeUrl.split("?")[0]!;
    if (!url.includes("/job-take/") || !this.stopChannel) return watch;
    const stopUrl = url.replace("/job-take/", "/job-stop/");
    void (async () => {
      while (!watch.signal.aborted) {
        try {
          const res = await this.call(stopUrl, { signal: watch.signal, timeoutMs: 90_000 });
          if (res.status === 404) {
            this.stopChannel = false; // an API without the stop channel: SIGTERM remains
            return;
          }
          if (res.status === 200 && stoppedIds(await res.json()).includes(jobId)) {
            this.log("worker.job.stop", { jobId });
            job.abort(new Error("stopped by RunPod"));
            return;
          }
          await res.body?.cancel().catch(() => {});
        } catch {
          if (watch.signal.aborted) return;
          await sleep(1000).catch(() => {});
        }
      }
    })();
    return watch;
  }

  private startPing(): void {
    if (!this.env.pingUrl || this.pingTimer) return;
    const ping = () => {
      const q = `job_id=${encodeURIComponent(this.current?.id ?? "")}&runpod_version=transcoder-node`;
      this.call(withQuery(this.env.pingUrl!, q), { timeoutMs: this.env.pingIntervalMs * 2 })
        .then((r) => r.body?.cancel())
        .catch((e) => this.log("worker.ping.error", { error: (e as Error).message }));
    };
    ping();
    this.pingTimer = setInterval(ping, this.env.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** SIGTERM: take nothing new, stop the running job (FFmpeg is killed), report it, return. */
  async shutdown(reason: string): Promise<void> {
    this.stopping = true;
    this.log("worker.shutdown", { reason, jobId: this.current?.id ?? null });
    this.current?.abort.abort(new Error(`worker shutting down (${reason})`));
    this.pollAbort.abort();
    if (this.pingTimer) clearInterval(this.pingTimer);
    await this.loop;
  }
}

function stoppedIds(body: unknown): string[] {
  const list = Array.isArray(body) ? body : [body];
  const ids: string[] = [];
  for (const item of list) {
    if (typeof item === "string") ids.push(item);
    else if (item && typeof item === "object") {
      const o = item as { id?: unknown; ids?: unknown; job_ids?: unknown };
      if (typeof o.id === "string") ids.push(o.id);
      for (const k of [o.ids, o.job_ids]) if (Array.isArray(k)) ids.push(...k.filter((x): x is string => typeof x === "string"));
    }
  }
  return ids;
}
