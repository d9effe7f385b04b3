import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";

/** A Postgres that speaks the wire protocol on TCP: the one DATABASE_URL names, or PGlite embedded. */
export interface LocalPostgres {
  url: string;
  host: string;
  port: number;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startPostgres(opts: { databaseUrl?: string; dataDir?: string } = {}): Promise<LocalPostgres> {
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    return { url: opts.databaseUrl, host: u.hostname, port: Number(u.port || 5432), embedded: false, stop: async () => {} };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir);
  // The multiplexer lets many Durable Objects hold a connection at once; PGlite runs them in turn.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 100 });
  await server.start();
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    host: "127.0.0.1",
    port,
    embedded: true,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
