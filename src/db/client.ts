import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Config } from "../config.ts";
import * as schema from "../../schema/index.ts";
import { log } from "../log.ts";

import type { Db } from "./types.ts";
export type { Db };

/** Postgres cannot be reached, or stopped answering: nothing was done, and trying again later may work. */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
}

/**
 * Postgres answered and refused the statement (a constraint, a value it will not store): trying
 * again will not help, and it is not an outage. Input is validated before it gets here, so this
 * means a bug; the API answers 500, never 503.
 */
export class DatabaseRejected extends Error {
  override name = "DatabaseRejected";
  constructor(
    message: string,
    readonly sqlState: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const CONNECT_TIMEOUT_MS = 5_000;

let droppedWriteLogged = false;

/**
 * The WebSocket the Neon driver gets. Its socket shim coalesces writes: it sends them from a
 * `setTimeout(0)`, while `end()` closes the WebSocket at once, so the Terminate message of every
 * connection that closes after a failure (a Postgres restart, a timed-out query) is sent on a
 * closed socket. workerd throws from `send()` there, inside a timer: an uncaught "Can't call
 * WebSocket send() after close()". Bytes for a closed socket have nowhere to go; they are dropped
 * here, and that is said once per isolate, with why.
 */
export function ClosedSafeWebSocket(url: string): WebSocket {
  const ws = new WebSocket(url);
  const send = ws.send.bind(ws);
  ws.send = (data) => {
    if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) {
      if (!droppedWriteLogged) {
        droppedWriteLogged = true;
        log("warn", "postgres write after close dropped", {
          cause: "the Neon driver sends coalesced writes from a timer after end() has closed the WebSocket",
          bytes: typeof data === "string" ? data.length : (data as ArrayBuffer | ArrayBufferView).byteLength,
        });
      }
      return;
    }
    send(data);
  };
  return ws;
}

/** The SQLSTATE of a Postgres error, wherever drizzle or the driver wrapped it. */
function sqlStateOf(error: unknown): string | null {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return null;
}

/**
 * Classes that mean "the server could not do it now": connection exceptions (08), insufficient
 * resources (53), operator intervention such as a shutdown or a cancelled statement (57),
 * a serialization failure or deadlock (40). Anything else with a SQLSTATE is a refusal.
 */
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58"]);

export function classifyDatabaseError(cause: unknown): DatabaseUnavailable | DatabaseRejected {
  if (cause instanceof DatabaseUnavailable || cause instanceof DatabaseRejected) return cause;
  const state = sqlStateOf(cause);
  const message = (cause as Error)?.message ?? String(cause);
  if (state && !TRANSIENT_CLASSES.has(state.slice(0, 2))) return new DatabaseRejected(`Postgres refused the statement (${state}): ${message}`, state, { cause });
  return new DatabaseUnavailable(`Postgres query failed: ${message}`, { cause });
}

/**
 * A Neon Pool over WebSocket for the duration of `fn`: Workers may not share sockets between
 * requests, so the pool lives as long as one unit of work and holds one connection. In production
 * the driver talks to Neon's WebSocket endpoint; locally `DB_WS_PROXY` names a WebSocket-to-TCP
 * proxy in front of an ordinary Postgres.
 *
 * Every unit of work is bounded: connecting by CONNECT_TIMEOUT_MS, the work itself by
 * `config.dbQueryTimeoutMs`. A server that accepts a connection and then stops answering would
 * otherwise hold the caller (an object's queue, the alarm's projection flush) for ever; on
 * timeout the connection is destroyed and the caller sees DatabaseUnavailable, as for an outage.
 */
export async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  neonConfig.webSocketConstructor = ClosedSafeWebSocket as unknown as typeof WebSocket;
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  let broken = false;
  try {
    // Drizzle's query builders are lazy thenables that run on every `then`: settle it once, here.
    const db = drizzle({ client, schema });
    const work = (async () => await fn(db))();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseUnavailable(`Postgres did not answer within ${config.dbQueryTimeoutMs} ms`)),
        config.dbQueryTimeoutMs,
      );
    });
    // The abandoned query settles when its socket is destroyed below; nobody waits for it.
    work.catch(() => {});
    return await Promise.race([work, timeout]);
  } catch (cause) {
    broken = true;
    throw classifyDatabaseError(cause);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // After a failure the connection may be mid-statement or dead: destroy it rather than reuse it.
    client.release(broken ? true : undefined);
    pool.end().catch(() => {});
  }
}
