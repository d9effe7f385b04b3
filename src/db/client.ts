import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Config } from "../config.ts";
import * as schema from "../../schema/index.ts";

import type { Db } from "./types.ts";
export type { Db };

/** Raised when Postgres cannot be reached or answers with an error; the caller decides what is lost (nothing). */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
}

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A Neon Pool over WebSocket for the duration of `fn`: Workers may not share sockets between
 * requests, so the pool lives as long as one unit of work and holds one connection. In production
 * the driver talks to Neon's WebSocket endpoint; locally `DB_WS_PROXY` names a WebSocket-to-TCP
 * proxy in front of an ordinary Postgres.
 */
export async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  if (config.dbWsProxy) {
    const proxy = config.dbWsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({ connectionString: config.databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: 1 });
  pool.on("error", () => {});
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (cause) {
    pool.end().catch(() => {});
    throw new DatabaseUnavailable("Postgres is unreachable", { cause });
  }
  client.on("error", () => {});
  try {
    return await fn(drizzle({ client, schema }));
  } catch (cause) {
    if (cause instanceof DatabaseUnavailable) throw cause;
    throw new DatabaseUnavailable(`Postgres query failed: ${(cause as Error).message}`, { cause });
  } finally {
    client.release();
    pool.end().catch(() => {});
  }
}
