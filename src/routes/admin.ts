import { Hono } from "hono";
import { withDb, type Db } from "../db/client.ts";
import { S3ObjectStore } from "../clients/object-store.ts";
import { authenticate } from "../http/auth.ts";
import { AppError } from "../http/errors.ts";
import { filePath, namedFiles } from "../http/item-files.ts";
import { passBytesHeaders, storedOrThrow } from "../http/stored-file.ts";
import type { AppEnv } from "../http/types.ts";
import { parseMediaId } from "../http/validate.ts";
import { creatorUsage, inFlight, item, overview, recentFailures, recentItems } from "../admin/queries.ts";
import type { Config } from "../config.ts";
import { FileKeyCache, type FileKeys } from "../admin/file-keys.ts";
import { outputKeys } from "../contract/index.ts";
import { mediaObject, readStatus } from "../objects/stubs.ts";
import type { DeliveryLogRow } from "../objects/webhook-outbox.ts";
import { isJson, parseJson } from "../http/validate.ts";
import { z } from "zod";

const read = <T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> => withDb(config, fn);

/**
 * The HLS folder the route may serve, from the contract's keys for the row's attempt: only when
 * the row's master is that attempt's, so a row never points the route anywhere else.
 */
function hlsRoot(row: FileKeys, mediaId: string): string | null {
  if (!row.hlsMasterPlaylistKey || !row.attemptId) return null;
  const k = outputKeys({ creatorId: row.creatorId, mediaId, attemptId: row.attemptId });
  return row.hlsMasterPlaylistKey === k.hlsMaster ? k.hlsRoot : null;
}

/** Remembered no longer than a soft delete may go unnoticed (DELETION_CHECK_SECONDS); made on first use, from the configuration. */
let fileKeys: FileKeyCache | null = null;
export const redeliverBody = z.object({ subscriber: z.url().optional() });

/** Read-only admin API behind the dashboard; every figure comes from `media_items`. */
export const adminRoutes = new Hono<AppEnv>()
  .use(authenticate({ roles: ["admin"] }))
  .get("/overview", async (c) => {
    const config = c.get("config");
    const data = await read(config, async (db) => ({
      ...(await overview(db)),
      inFlight: await inFlight(db),
      recentFailures: await recentFailures(db),
      recent: await recentItems(db),
      creators: await creatorUsage(db),
    }));
    c.header("cache-control", "no-store");
    return c.json({ ...data, limits: config.limits, generatedAt: new Date().toISOString() });
  })
  .get("/media/:id", async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const row = await read(c.get("config"), (db) => item(db, id));
    if (!row) throw new AppError(404, "NOT_FOUND", "No such media item");
    c.header("cache-control", "no-store");
    // A ready item's touch-up lives in its object only (the row shows its result): asked for, best effort.
    // So does a copy from a URL while the item waits for its original.
    const status = row.status === "ready" || row.status === "uploading" ? await readStatus(c.env, id, c.get("actor")).catch(() => null) : null;
    const view = status && (status.outcome === "applied" || status.outcome === "ignored") ? status.status : null;
    return c.json({ ...row, touchUp: view?.touchUp ?? null, ingest: view?.ingest ?? null });
  })
  // The item's webhook deliveries to the platform: what was sent, each try's answer, what is queued.
  .get("/media/:id/webhooks", async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const deliveries = (await mediaObject(c.env, id).webhookLog(id)) as DeliveryLogRow[] | null;
    if (!deliveries) throw new AppError(404, "NOT_FOUND", "No such media item");
    c.header("cache-control", "no-store");
    return c.json({ mediaId: id, subscribers: c.get("config").platformWebhooks.map((s) => s.url), deliveries });
  })
  .post("/media/:id/webhooks/:messageId/redeliver", async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const messageId = c.req.param("messageId");
    if (!/^msg_[0-9a-f]{32}$/.test(messageId)) throw new AppError(400, "INVALID_ID", "messageId must be a msg_ id from the delivery log");
    const body = isJson(c.req.header("content-type")) ? await parseJson(c.req.raw, redeliverBody) : {};
    const queued = await mediaObject(c.env, id).redeliverWebhook(id, messageId, body.subscriber ?? null);
    if (!queued) throw new AppError(404, "NOT_FOUND", "No such message in this item's delivery log");
    return c.json({ queued: true, messageId }, 202);
  })
  // The item's HLS tree, its thumbnail and waveform, for admins (the player and the page).
  .get("/media/:id/files/*", async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const config = c.get("config");
    fileKeys ??= new FileKeyCache(config.deletionCheckMs);
    const row = await fileKeys.get(id, () => read(config, (db) => item(db, id)));
    if (!row) throw new AppError(404, "NOT_FOUND", "No such media item");
    const rest = filePath(c.req.path.slice(c.req.path.indexOf("/files/") + "/files/".length));
    const named = namedFiles(row, "admin");
    let key: string | null;
    if (named.has(rest)) key = named.get(rest) ?? null;
    else {
      const root = rest.startsWith("hls/") ? hlsRoot(row, id) : null;
      key = root ? `${root}/${rest.slice(4)}` : null;
    }
    if (!key) throw new AppError(404, "NOT_FOUND", "This item has no such file");
    const upstream = await storedOrThrow(await new S3ObjectStore(config.s3).get(key, c.req.header("range")));
    const headers = passBytesHeaders(upstream, new Headers(), ["content-type", "content-length", "content-range", "etag", "last-modified", "accept-ranges"]);
    // Behind auth: browsers may keep it, shared caches may not.
    headers.set("cache-control", key.endsWith(".m3u8") ? "private, max-age=5" : "private, max-age=86400");
    return new Response(upstream.body, { status: upstream.status, headers });
  });
