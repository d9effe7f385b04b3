import { Client, neonConfig } from "@neondatabase/serverless";
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
 * Opens one connection for the duration of `fn` (Workers may not share sockets between requests).
 * In production the Neon driver talks to Neon's WebSocket endpoint; locally `DB_WS_PROXY` names a
 * WebSocket-to-TCP proxy in front of an ordinary Postgres.
 */
export async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  if (config.dbWsProxy) {
    const proxy = config.dbWsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const client = new Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (cause) {
    throw new DatabaseUnavailable("Postgres is unreachable", { cause });
  }
  try {
    return await fn(drizzle({ client, schema }));
  } catch (cause) {
    if (cause instanceof DatabaseUnavailable) throw cause;
    throw new DatabaseUnavailable(`Postgres query failed: ${(cause as Error).message}`, { cause });
  } finally {
    client.end().catch(() => {});
  }
}
