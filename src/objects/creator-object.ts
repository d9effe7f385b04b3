import { DurableObject } from "cloudflare:workers";
import { configFrom, type Config } from "../config.ts";
import type { Admission } from "../machine/index.ts";

const DAY_MS = 86_400_000;
/**
 * A slot whose release never arrived (its object lost the call) frees itself after this long:
 * longer than any job may run (the hard ceiling of a 4-hour source at 3× realtime is 12 h).
 */
const SLOT_LEASE_MS = DAY_MS;
/** An in-flight limit frees up when some job ends; there is no date for that, so suggest a short wait. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

interface Counters {
  /** attemptId → when it was admitted. */
  inFlight: Record<string, number>;
  /** Jobs admitted in the last 24 hours (a refund removes one), oldest first. */
  jobs: { attemptId: string; at: number }[];
  /** Registrations in the last 24 hours and their declared bytes, oldest first. */
  uploads: { mediaId: string; bytes: number; at: number }[];
  /** mediaId → when its upload expires: registered, and neither completed nor aborted yet. */
  open: Record<string, number>;
}

export interface CreatorUsage {
  jobsInFlight: number;
  jobsLast24h: number;
  uploadBytesLast24h: number;
  limits: Config["limits"];
}

const retryAfter = (oldestAt: number, now: number) => Math.max(1, Math.ceil((oldestAt + DAY_MS - now) / 1000));

/**
 * One object per creator: the consistent place to count what a creator spends (jobs in flight,
 * jobs per day, bytes uploaded per day). Each call runs alone on this object, so two triggers at
 * once cannot both take the last slot. Windows slide over 24 hours.
 */
export class CreatorObject extends DurableObject<Env> {
  private counters: Counters = { inFlight: {}, jobs: [], uploads: [], open: {} };
  private readonly limits: Config["limits"];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.limits = configFrom(env).limits;
    void ctx.blockConcurrencyWhile(async () => {
      // Counters stored before 2026-12-06 have no `open`.
      const stored = await ctx.storage.get<Omit<Counters, "open"> & Partial<Pick<Counters, "open">>>("counters");
      if (stored) this.counters = { ...stored, open: stored.open ?? {} };
    });
  }

  private prune(now: number): Counters {
    const c = this.counters;
    for (const [id, at] of Object.entries(c.inFlight)) if (now - at > SLOT_LEASE_MS) delete c.inFlight[id];
    c.jobs = c.jobs.filter((j) => now - j.at < DAY_MS);
    c.uploads = c.uploads.filter((u) => now - u.at < DAY_MS);
    for (const [id, until] of Object.entries(c.open)) if (until <= now) delete c.open[id];
    return c;
  }

  private save(): Promise<void> {
    return this.ctx.storage.put("counters", this.counters);
  }

  /** Takes a job slot for this attempt, or says why not and when to try again. Idempotent per attempt. */
  async admitJob(attemptId: string): Promise<Admission> {
    const now = Date.now();
    const c = this.prune(now);
    if (c.inFlight[attemptId] !== undefined) return { ok: true };
    const inFlight = Object.keys(c.inFlight).length;
    if (inFlight >= this.limits.jobsInFlight) {
      return {
        ok: false,
        retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS,
        message: `This creator already has ${inFlight} jobs in flight (limit ${this.limits.jobsInFlight}); try again when one has finished`,
      };
    }
    if (c.jobs.length >= this.limits.jobsPerDay) {
      return {
        ok: false,
        retryAfterSeconds: retryAfter(c.jobs[0]!.at, now),
        message: `This creator has started ${c.jobs.length} jobs in the last 24 hours (limit ${this.limits.jobsPerDay})`,
      };
    }
    c.inFlight[attemptId] = now;
    c.jobs.push({ attemptId, at: now });
    await this.save();
    return { ok: true };
  }

  /** Gives the attempt's slot back; `refund` also takes it off the day's count (it never reached RunPod). */
  async releaseJob(attemptId: string, refund: boolean): Promise<void> {
    const c = this.prune(Date.now());
    const had = c.inFlight[attemptId] !== undefined;
    delete c.inFlight[attemptId];
    const before = c.jobs.length;
    if (refund) c.jobs = c.jobs.filter((j) => j.attemptId !== attemptId);
    if (had || c.jobs.length !== before) await this.save();
  }

  /**
   * Counts a registration: one more in the day's registrations, one more upload open until
   * `openUntil` (its TTL), and `bytes` against the day's allowance; or says which limit and when
   * there will be room.
   */
  async reserveUpload(mediaId: string, bytes: number, openUntil: number): Promise<Admission> {
    const now = Date.now();
    const c = this.prune(now);
    if (c.uploads.length >= this.limits.registrationsPerDay) {
      return { ok: false, retryAfterSeconds: retryAfter(c.uploads[0]!.at, now), message: `This creator has registered ${c.uploads.length} uploads in the last 24 hours (limit ${this.limits.registrationsPerDay})` };
    }
    const open = Object.values(c.open);
    if (open.length >= this.limits.openUploads) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((Math.min(...open) - now) / 1000)),
        message: `This creator has ${open.length} uploads open (limit ${this.limits.openUploads}); complete one, or wait for one to expire`,
      };
    }
    const used = c.uploads.reduce((sum, u) => sum + u.bytes, 0);
    if (used + bytes > this.limits.uploadBytesPerDay) {
      // The earliest time enough of the window has slid out for this upload to fit.
      let freed = 0;
      let at = now;
      for (const u of c.uploads) {
        freed += u.bytes;
        at = u.at;
        if (used - freed + bytes <= this.limits.uploadBytesPerDay) break;
      }
      const fits = bytes <= this.limits.uploadBytesPerDay;
      return {
        ok: false,
        retryAfterSeconds: fits ? retryAfter(at, now) : 86_400,
        message: fits
          ? `This upload would take the creator past ${this.limits.uploadBytesPerDay} bytes in 24 hours (${used} used)`
          : `This upload is larger than the creator's daily allowance of ${this.limits.uploadBytesPerDay} bytes`,
      };
    }
    c.uploads.push({ mediaId, bytes, at: now });
    c.open[mediaId] = openUntil;
    await this.save();
    return { ok: true };
  }

  /** Takes back a reservation whose registration did not go through. */
  async refundUpload(mediaId: string): Promise<void> {
    const before = this.counters.uploads.length;
    this.counters.uploads = this.counters.uploads.filter((u) => u.mediaId !== mediaId);
    const wasOpen = this.counters.open[mediaId] !== undefined;
    delete this.counters.open[mediaId];
    if (this.counters.uploads.length !== before || wasOpen) await this.save();
  }

  /** The item's upload is over (completed, refused after completing, aborted): one fewer open. */
  async closeUpload(mediaId: string): Promise<void> {
    if (this.counters.open[mediaId] === undefined) return;
    delete this.counters.open[mediaId];
    await this.save();
  }

  async usage(): Promise<CreatorUsage> {
    const c = this.prune(Date.now());
    return {
      jobsInFlight: Object.keys(c.inFlight).length,
      jobsLast24h: c.jobs.length,
      uploadBytesLast24h: c.uploads.reduce((sum, u) => sum + u.bytes, 0),
      limits: this.limits,
    };
  }
}
