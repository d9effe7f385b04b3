import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import { mediaItems } from "../../schema/index.ts";

/** The dashboard reads only the Postgres projection (design.md §5), never the objects. */

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function overview(db: Db) {
  const counts = await db
    .select({ status: mediaItems.status, n: sql<number>`count(*)::int` })
    .from(mediaItems)
    .where(isNull(mediaItems.deletedAt))
    .groupBy(mediaItems.status);

  // Outcomes of jobs that finished in each window: success rate and failures by code.
  const windows = await db.execute(sql`
    SELECT w.name,
           count(*) FILTER (WHERE m.status = 'ready')::int AS ready,
           count(*) FILTER (WHERE m.status = 'failed')::int AS failed
    FROM (VALUES ('24h', interval '24 hours'), ('7d', interval '7 days')) AS w(name, span)
    LEFT JOIN media_items m
      ON m.transcoding_finished_at > now() - w.span AND m.status IN ('ready', 'failed') AND m.deleted_at IS NULL
    GROUP BY w.name`);
  const reasons = await db.execute(sql`
    SELECT coalesce(transcoding_error_code, 'UNKNOWN') AS code,
           count(*) FILTER (WHERE transcoding_finished_at > now() - interval '24 hours')::int AS day,
           count(*)::int AS week
    FROM media_items
    WHERE status = 'failed' AND transcoding_finished_at > now() - interval '7 days' AND deleted_at IS NULL
    GROUP BY 1 ORDER BY week DESC`);
  // Time to ready: from the trigger (transcoding start) to the completion, last 7 days.
  const timing = await db.execute(sql`
    SELECT count(*)::int AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM transcoding_finished_at - transcoding_started_at)) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM transcoding_finished_at - transcoding_started_at)) AS p95
    FROM media_items
    WHERE status = 'ready' AND transcoding_finished_at > now() - interval '7 days'
      AND transcoding_started_at IS NOT NULL AND deleted_at IS NULL`);

  const window = (name: string) => {
    const row = windows.rows.find((r) => r.name === name) as { ready: number; failed: number } | undefined;
    const ready = row?.ready ?? 0;
    const failed = row?.failed ?? 0;
    return { ready, failed, successRate: ready + failed ? ready / (ready + failed) : null };
  };
  const t = timing.rows[0] as { n: number; p50: unknown; p95: unknown } | undefined;
  return {
    counts: Object.fromEntries(counts.map((c) => [c.status, c.n])),
    last24h: window("24h"),
    last7d: window("7d"),
    failureReasons: reasons.rows.map((r) => ({ code: String(r.code), last24h: Number(r.day), last7d: Number(r.week) })),
    timeToReady: { samples: t?.n ?? 0, p50Seconds: num(t?.p50), p95Seconds: num(t?.p95) },
  };
}

const listColumns = {
  id: mediaItems.id,
  creatorId: mediaItems.creatorId,
  mediaType: mediaItems.mediaType,
  status: mediaItems.status,
  originalFilename: mediaItems.originalFilename,
  durationSeconds: mediaItems.durationSeconds,
  phase: mediaItems.transcodingPhase,
  percent: mediaItems.transcodingPercent,
  chunkEncodeSeconds: mediaItems.chunkEncodeSeconds,
  playableAt: mediaItems.playableAt,
  playableSeconds: mediaItems.playableSeconds,
  retriesUsed: mediaItems.transcodingAttempts,
  errorCode: mediaItems.transcodingErrorCode,
  error: mediaItems.transcodingError,
  startedAt: mediaItems.transcodingStartedAt,
  finishedAt: mediaItems.transcodingFinishedAt,
  updatedAt: mediaItems.updatedAt,
  createdAt: mediaItems.createdAt,
};

export function inFlight(db: Db, limit = 100) {
  return db.select(listColumns).from(mediaItems).where(and(eq(mediaItems.status, "transcoding"), isNull(mediaItems.deletedAt))).orderBy(mediaItems.transcodingStartedAt).limit(limit);
}

export function recentFailures(db: Db, limit = 25) {
  return db.select(listColumns).from(mediaItems).where(and(eq(mediaItems.status, "failed"), isNull(mediaItems.deletedAt))).orderBy(desc(mediaItems.transcodingFinishedAt)).limit(limit);
}

export function recentItems(db: Db, limit = 50) {
  return db.select(listColumns).from(mediaItems).where(isNull(mediaItems.deletedAt)).orderBy(desc(mediaItems.updatedAt)).limit(limit);
}

/**
 * The creators spending most right now, in the terms of their limits: jobs in flight, jobs started
 * and bytes registered in the last 24 hours. Read from the projection, as everything on the
 * dashboard is; the CreatorObject is what enforces the limits (jobs here count each item's latest
 * attempt, so a retried item counts once).
 */
export async function creatorUsage(db: Db, limit = 10) {
  const rows = await db.execute(sql`
    SELECT creator_id,
           count(*) FILTER (WHERE status = 'transcoding')::int AS in_flight,
           count(*) FILTER (WHERE transcoding_started_at > now() - interval '24 hours')::int AS jobs_24h,
           coalesce(sum(original_size) FILTER (WHERE created_at > now() - interval '24 hours'), 0)::bigint AS bytes_24h
    FROM media_items
    WHERE deleted_at IS NULL AND (status = 'transcoding' OR created_at > now() - interval '24 hours' OR transcoding_started_at > now() - interval '24 hours')
    GROUP BY creator_id
    ORDER BY in_flight DESC, jobs_24h DESC, bytes_24h DESC
    LIMIT ${limit}`);
  return rows.rows.map((r) => ({
    creatorId: String(r.creator_id),
    jobsInFlight: Number(r.in_flight),
    jobsLast24h: Number(r.jobs_24h),
    uploadBytesLast24h: Number(r.bytes_24h),
  }));
}

/** One item's row for the dashboard; a soft-deleted item is gone for admins too (404 on every route). */
export async function item(db: Db, id: string) {
  const [row] = await db.select().from(mediaItems).where(and(eq(mediaItems.id, id), isNull(mediaItems.deletedAt))).limit(1);
  return row ?? null;
}
