import { randomUUID } from "node:crypto";
import { SIGNATURE_HEADER, signPayload, type FanoutTask, type JobError, type JobOutput, type Phase, type TouchUpOutput } from "../../../src/contract/index.ts";
import { backoffMs, sleep } from "./retry.ts";

export interface CallbackTarget {
  webhookUrl: string;
  secret: string;
  mediaId: string;
  attemptId: string;
  jobId: string | null;
  /** A chunk job of a split video: every progress and failure names its chunk and try. */
  chunk?: { index: number; try: number };
  /** A touch-up job of a ready item: every progress and failure names it. */
  touchUp?: { id: string };
  /** An ingest from a URL: every progress and failure names it (progress with how far the copy is). */
  ingest?: { id: string };
}

export interface CallbackOptions {
  /** Progress goes out at most this often; the latest value wins. */
  progressIntervalMs?: number;
  /**
   * While a step moves no percent (a long upload, a slow mezzanine), the last progress is sent
   * again this often: the control plane judges a job stuck by silence, not by a fixed deadline.
   */
  heartbeatMs?: number;
  /** A terminal callback is retried until acknowledged or this long has passed. */
  terminalDeadlineMs?: number;
  retryBaseMs?: number;
  requestTimeoutMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Told of each progress as it leaves (throttled here, the worker side's one throttle): RunPod's own status follows it. */
  onProgressSent?: (p: { phase: Phase; percent: number }) => void;
  fetch?: typeof fetch;
}

export interface Delivery {
  delivered: boolean;
  attempts: number;
  status: number | null;
}

/** A 4xx other than these means the receiver will never accept this body: stop retrying. */
const RETRY_STATUSES = new Set([401, 408, 425, 429]);

/**
 * Sends the signed callbacks of one job (design.md §3): the newest progress, throttled, in order
 * (the job's tracker makes it forward-only, and the control plane's machine is the one judge of
 * what arrives); the terminal callback retried with backoff until it is acknowledged.
 */
export class CallbackSender {
  private lastSentAt = 0;
  private pending: { phase: Phase; percent: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private last: { phase: Phase; percent: number } | null = null;
  private durationSeconds: number | null = null;
  private playableSeconds: number | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly o: Required<Omit<CallbackOptions, "log" | "fetch" | "onProgressSent">> & Pick<CallbackOptions, "log" | "onProgressSent"> & { fetch: typeof fetch };

  constructor(
    private readonly target: CallbackTarget,
    opts: CallbackOptions = {},
  ) {
    this.o = {
      progressIntervalMs: opts.progressIntervalMs ?? 3000,
      heartbeatMs: opts.heartbeatMs ?? 60_000,
      terminalDeadlineMs: opts.terminalDeadlineMs ?? 15 * 60_000,
      retryBaseMs: opts.retryBaseMs ?? 500,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      log: opts.log,
      onProgressSent: opts.onProgressSent,
      fetch: opts.fetch ?? fetch,
    };
  }

  private envelope() {
    const { attemptId, jobId, mediaId } = this.target;
    return { eventId: randomUUID(), attemptId, jobId, mediaId, sentAt: new Date().toISOString() };
  }

  /** One signed POST; resolves to the HTTP status, or null when nothing answered. */
  private async post(body: string): Promise<number | null> {
    try {
      const res = await this.o.fetch(this.target.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: await signPayload(this.target.secret, body) },
        body,
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
      await res.body?.cancel();
      return res.status;
    } catch {
      return null;
    }
  }

  /** The probed duration; every progress from now on carries it. */
  setDuration(seconds: number): void {
    this.durationSeconds = seconds;
  }

  /**
   * Seconds of the item a viewer can play now (the publisher's word): carried by every progress
   * from now on, the last progress sent again with it.
   */
  setPlayable(seconds: number): void {
    if (this.closed || seconds <= (this.playableSeconds ?? 0)) return;
    const first = this.playableSeconds === null;
    this.playableSeconds = seconds;
    const last = this.pending ?? this.last;
    if (!last) return;
    // The first word that the item plays leaves at once (time-to-playable is what viewers wait for); later growth, throttled.
    if (first) {
      this.pending = last;
      this.flush();
    } else this.progress(last.phase, last.percent);
  }

  progress(phase: Phase, percent: number): void {
    if (this.closed) return;
    this.pending = { phase, percent };
    const wait = this.lastSentAt + this.o.progressIntervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.pending;
    this.pending = null;
    if (!next || this.closed) return;
    this.send(next);
  }

  private send(next: { phase: Phase; percent: number }): void {
    this.last = next;
    this.lastSentAt = Date.now();
    const body = JSON.stringify({ ...this.envelope(), status: "progress", ...next, durationSeconds: this.durationSeconds, ...(this.playableSeconds === null ? {} : { playableSeconds: this.playableSeconds }), ...this.partRef() });
    this.o.onProgressSent?.(next);
    // Chained so that callbacks leave (and normally arrive) in order.
    this.chain = this.chain.then(async () => {
      const status = await this.post(body);
      this.o.log?.("callback.progress", { ...next, status });
    });
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => {
      this.heartbeat = null;
      if (!this.closed && this.last) this.send(this.last);
    }, this.o.heartbeatMs);
    // A heartbeat must not keep a finished process alive.
    this.heartbeat.unref?.();
  }

  completed(output: JobOutput): Promise<Delivery> {
    return this.terminal({ status: "completed", output });
  }

  failed(error: JobError): Promise<Delivery> {
    return this.terminal({ status: "failed", error, ...this.partRef() });
  }

  /** The first job split the video: delivered as surely as a terminal callback, and the job goes on (its progress too). */
  async planned(task: FanoutTask, durationSeconds: number): Promise<Delivery> {
    await this.chain;
    return this.terminal({ status: "planned", task, durationSeconds }, false);
  }

  /** A chunk job's try is done: its manifest is beside the plan. */
  chunkCompleted(encodeSeconds: number): Promise<Delivery> {
    return this.terminal({ status: "chunk-completed", chunk: this.target.chunk, encodeSeconds });
  }

  /** A split video's whole-file work is uploaded. */
  restCompleted(): Promise<Delivery> {
    return this.terminal({ status: "rest-completed" });
  }

  /** How far an ingest's copy is: carried by its progress callbacks. */
  setIngestBytes(bytes: number, totalBytes: number | null): void {
    this.ingestBytes = { bytes, totalBytes };
  }

  /** An ingest's copy is in the item's original key. */
  ingested(bytes: number): Promise<Delivery> {
    return this.terminal({ status: "ingested", ingest: this.target.ingest, bytes });
  }

  /** A ready item's touch-up is done and uploaded: what it made. */
  touchedUp(output: TouchUpOutput): Promise<Delivery> {
    return this.terminal({ status: "touched-up", touchUp: this.target.touchUp, output });
  }

  private ingestBytes = { bytes: 0, totalBytes: null as number | null };

  /** Which part of the item's work a callback is from: a chunk try, a touch-up, an ingest (with how far its copy is). */
  private partRef() {
    if (this.target.ingest) return { ingest: { ...this.target.ingest, ...this.ingestBytes } };
    return this.target.chunk ? { chunk: this.target.chunk } : this.target.touchUp ? { touchUp: this.target.touchUp } : {};
  }

  private async terminal(fields: Record<string, unknown>, close = true): Promise<Delivery> {
    if (close) {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.heartbeat) clearTimeout(this.heartbeat);
    }
    await this.chain;
    // One body (one eventId) for every try: the receiver recognises a repeat as a duplicate.
    const body = JSON.stringify({ ...this.envelope(), ...fields });
    const deadline = Date.now() + this.o.terminalDeadlineMs;
    let attempts = 0;
    let status: number | null = null;
    for (;;) {
      attempts++;
      status = await this.post(body);
      const ok = status !== null && status >= 200 && status < 300;
      const permanent = status !== null && status >= 400 && status < 500 && !RETRY_STATUSES.has(status);
      this.o.log?.("callback.terminal", { status: fields.status, http: status, attempts });
      if (ok || permanent) return { delivered: ok, attempts, status };
      // Not withRetry: the terminal callback is bounded by a deadline, not a count.
      const backoff = backoffMs(attempts, this.o.retryBaseMs, 60_000);
      if (Date.now() + backoff > deadline) return { delivered: false, attempts, status };
      await sleep(backoff);
    }
  }
}
