import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";

/** A Postgres that speaks the wire protocol on TCP: the one DATABASE_URL names, or PGlite embedded. */
export interface LocalPostgres {
  url: string;
  host: string;
  port: number;
  embedded: boolean;
  /** Stops accepting and drops every connection (embedded only), as a stopped server would. */
  pause(): Promise<void>;
  /** Serves again on the same port with the same data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(opts: { databaseUrl?: string; dataDir?: string; port?: number } = {}): Promise<LocalPostgres> {
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    const unsupported = async () => {
      throw new Error("pause/resume needs the embedded Postgres");
    };
    return { url: opts.databaseUrl, host: u.hostname, port: Number(u.port || 5432), embedded: false, pause: unsupported, resume: unsupported, stop: async () => {} };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir);
  // The multiplexer lets many Durable Objects hold a connection at once; PGlite runs them in turn.
  const serve = async (port: number) => {
    const s = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 100 });
    await s.start();
    return s;
  };
  let server: Awaited<ReturnType<typeof serve>> | null = await serve(opts.port ?? 0);
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    host: "127.0.0.1",
    port,
    embedded: true,
    async pause() {
      await server?.stop();
      server = null;
    },
    async resume() {
      server ??= await serve(port);
    },
    async stop() {
      await server?.stop();
      await db.close();
    },
  };
}
