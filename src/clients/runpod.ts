import { jobResult, type JobInput } from "../contract/index.ts";
import type { RunpodView } from "../machine/index.ts";
import type { Config } from "../config.ts";

/** Sends jobs to RunPod (or to the local stand-in that serves the same API). */
export interface Dispatcher {
  run(input: JobInput, policy: { executionTimeoutMs: number; ttlMs: number }): Promise<{ jobId: string }>;
  status(jobId: string): Promise<RunpodView>;
  cancel(jobId: string): Promise<void>;
}

/**
 * A call to RunPod that did not succeed. `ambiguous`: the request went out and no answer came
 * back in time, so RunPod may have acted on it (for /run: a job may exist that we hold no id of).
 */
export class DispatchError extends Error {
  override name = "DispatchError";
  constructor(
    message: string,
    readonly ambiguous = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const RUNPOD_STATUSES = new Set(["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

export class RunpodDispatcher implements Dispatcher {
  constructor(private readonly config: Config["runpod"]) {}

  private url(path: string) {
    return `${this.config.apiBase}/${this.config.endpointId}${path}`;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(this.url(path), {
        method,
        headers: { authorization: `Bearer ${this.config.apiKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.dispatchTimeoutMs),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === "TimeoutError";
      throw new DispatchError(
        timedOut ? `RunPod did not answer within ${this.config.dispatchTimeoutMs} ms` : `RunPod unreachable: ${(cause as Error).message}`,
        timedOut,
        { cause },
      );
    }
  }

  async run(input: JobInput, policy: { executionTimeoutMs: number; ttlMs: number }) {
    const res = await this.call("POST", "/run", { input, policy: { executionTimeout: policy.executionTimeoutMs, ttl: policy.ttlMs } });
    const text = await res.text();
    if (!res.ok) throw new DispatchError(`RunPod answered ${res.status} to /run: ${text.slice(0, 200)}`);
    let id: unknown;
    try {
      id = (JSON.parse(text) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    if (typeof id !== "string" || !id) throw new DispatchError("RunPod's /run answer has no job id");
    return { jobId: id };
  }

  async status(jobId: string): Promise<RunpodView> {
    let res: Response;
    try {
      res = await this.call("GET", `/status/${encodeURIComponent(jobId)}`);
    } catch (error) {
      return { status: "UNREACHABLE", result: null, detail: (error as Error).message };
    }
    if (res.status === 404) return { status: "NOT_FOUND", result: null, detail: null };
    if (!res.ok) return { status: "UNREACHABLE", result: null, detail: `RunPod answered ${res.status} to /status` };
    const body = (await res.json().catch(() => ({}))) as { status?: string; output?: unknown; error?: unknown };
    const status = RUNPOD_STATUSES.has(body.status ?? "") ? (body.status as RunpodView["status"]) : "NOT_FOUND";
    const parsed = jobResult.safeParse(body.output);
    return {
      status,
      result: parsed.success ? parsed.data : null,
      detail: typeof body.error === "string" ? body.error.slice(0, 500) : null,
    };
  }

  async cancel(jobId: string): Promise<void> {
    const res = await this.call("POST", `/cancel/${encodeURIComponent(jobId)}`);
    if (!res.ok && res.status !== 404) throw new DispatchError(`RunPod answered ${res.status} to /cancel`);
  }
}
