import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inFlight, overview, recentFailures, recentItems } from "../../src/admin/queries.ts";
import type { Db } from "../../src/db/types.ts";
import * as schema from "../../schema/index.ts";
import { mediaItems } from "../../schema/index.ts";

// The dashboard's queries on a private database with rows whose figures are known.
let pg: PGlite;
let db: Db;
const HOUR = 3600_000;
const now = Date.now();

type Row = typeof mediaItems.$inferInsert;
function item(status: Row["status"], fields: Partial<Row> = {}): Row {
  const id = randomUUID();
  const creatorId = randomUUID();
  return {
    id, creatorId, mediaType: "video", status, r2Key: `${creatorId}/originals/${id}/a.mp4`, originalFilename: `${status}.mp4`,
    originalSize: 10, contentType: "video/mp4",
    ...(status === "ready" ? { hlsMasterPlaylistKey: `${creatorId}/hls/${id}/x/master.m3u8` } : {}),
    ...fields,
  };
}
/** A job that ran `seconds` and finished `agoHours` ago. */
const finished = (agoHours: number, seconds: number) => ({
  transcodingStartedAt: new Date(now - agoHours * HOUR - seconds * 1000),
  transcodingFinishedAt: new Date(now - agoHours * HOUR),
});

beforeAll(async () => {
  pg = await PGlite.create();
  db = drizzle(pg, { schema }) as unknown as Db;
  await migrate(drizzle(pg), { migrationsFolder: fileURLToPath(new URL("../../schema/migrations", import.meta.url)) });
  await db.insert(mediaItems).values([
    // Last 24 h: 3 ready (10, 20, 30 s), 1 failed.
    item("ready", finished(1, 10)),
    item("ready", finished(2, 20)),
    item("ready", finished(3, 30)),
    item("failed", { ...finished(4, 5), transcodingErrorCode: "INPUT_UNREADABLE", transcodingError: "damaged" }),
    // 2–7 days ago: 1 ready (100 s), 2 failed.
    item("ready", finished(50, 100)),
    item("failed", { ...finished(60, 5), transcodingErrorCode: "TIMED_OUT", transcodingError: "stuck" }),
    item("failed", { ...finished(70, 5), transcodingErrorCode: "INPUT_UNREADABLE", transcodingError: "damaged" }),
    // Older than 7 days: counted in the totals only.
    item("ready", finished(24 * 10, 999)),
    // In flight, waiting, deleted.
    item("transcoding", { transcodingStartedAt: new Date(now - 60_000), transcodingPhase: "encoding", transcodingPercent: 42 }),
    item("uploaded"),
    item("failed", { ...finished(1, 5), transcodingErrorCode: "ENCODE_FAILED", deletedAt: new Date() }),
  ]);
});
afterAll(() => pg.close());

describe("dashboard queries over media_items", () => {
  it("counts by status, leaving deleted items out", async () => {
    const o = await overview(db);
    expect(o.counts).toEqual({ ready: 5, failed: 3, transcoding: 1, uploaded: 1 });
  });

  it("success rate over 24 h and 7 d from the jobs that finished in each window", async () => {
    const o = await overview(db);
    expect(o.last24h).toEqual({ ready: 3, failed: 1, successRate: 0.75 });
    expect(o.last7d).toEqual({ ready: 4, failed: 3, successRate: 4 / 7 });
  });

  it("failure reasons by error code, per window", async () => {
    const o = await overview(db);
    expect(o.failureReasons).toEqual([
      { code: "INPUT_UNREADABLE", last24h: 1, last7d: 2 },
      { code: "TIMED_OUT", last24h: 0, last7d: 1 },
    ]);
  });

  it("p50 and p95 time to ready over 7 days (trigger → ready)", async () => {
    const o = await overview(db);
    // 10, 20, 30, 100 s: continuous percentiles.
    expect(o.timeToReady.samples).toBe(4);
    expect(o.timeToReady.p50Seconds).toBeCloseTo(25, 3);
    expect(o.timeToReady.p95Seconds).toBeCloseTo(89.5, 3);
  });

  it("lists jobs in flight with phase and percent, and recent failures newest first", async () => {
    const flying = await inFlight(db);
    expect(flying).toHaveLength(1);
    expect(flying[0]).toMatchObject({ status: "transcoding", phase: "encoding", percent: 42 });
    const failures = await recentFailures(db);
    expect(failures.map((f) => f.errorCode)).toEqual(["INPUT_UNREADABLE", "TIMED_OUT", "INPUT_UNREADABLE"]);
    expect((await recentItems(db)).every((r) => r.status !== undefined)).toBe(true);
  });

  it("an empty window has no success rate rather than a made-up one", async () => {
    await db.execute(sql`UPDATE media_items SET deleted_at = now()`);
    const o = await overview(db);
    expect(o.last24h).toEqual({ ready: 0, failed: 0, successRate: null });
    expect(o.timeToReady).toEqual({ samples: 0, p50Seconds: null, p95Seconds: null });
  });
});
