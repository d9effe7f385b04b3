import net from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/**
 * A WebSocket-to-TCP proxy in the shape Neon documents for local development: the serverless
 * driver opens `ws://<proxy>/v2?address=<host>:<port>` and speaks the Postgres wire protocol
 * in binary frames.
 *
 * It relays only to the one Postgres it was started for, and refuses any request that carries
 * an `Origin` header: browsers always send one on a WebSocket, the Neon driver in workerd never
 * does, so no web page open in the developer's browser can reach a database through it.
 *
 * Faults for tests: `setDown(true)` refuses new connections and drops open ones (the database is
 * unreachable); `setHang(true)` keeps connections open but lets no query through once a
 * connection is ready, so the server seems to stop answering (the database hangs).
 */
export interface WsProxy {
  port: number;
  /** host:port for neonConfig.wsProxy */
  address: string;
  setDown(down: boolean): void;
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

export interface WsProxyOptions {
  /** The only `host:port` it relays to: the configured Postgres. */
  target: string;
  port?: number;
}

/** `host:port` of a postgres:// URL, as the Neon driver puts it in `address=`. */
export function targetOf(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  return `${u.hostname}:${u.port || "5432"}`;
}

// Postgres Terminate message: 'X' then int32 length 4. PGlite does not close the socket after it,
// so the client's end() would wait for ever unless the proxy closes both sides itself.
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
// ReadyForQuery: 'Z', int32 length 5 (then one status byte). After the first one, a connection is set up.
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

export async function startWsProxy(opts: WsProxyOptions): Promise<WsProxy> {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: opts.port ?? 0,
    perMessageDeflate: false,
    // Refused before the upgrade: a 403 to any browser page, whatever it asks for.
    verifyClient: ({ req }, done) => (req.headers.origin === undefined ? done(true) : done(false, 403, "browser origins are refused")),
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  let down = false;
  let hang = false;
  const open = new Set<{ ws: WebSocket; socket: net.Socket }>();

  wss.on("connection", (ws, req) => {
    const target = new URL(req.url ?? "/", "http://x").searchParams.get("address") ?? "";
    const [host, portText] = target.split(":");
    if (down || !host || !portText || target !== opts.target) {
      ws.close(down ? 1011 : 1008, down ? "database unreachable" : "address not allowed");
      return;
    }
    const socket = net.connect({ host, port: Number(portText) });
    const pair = { ws, socket };
    open.add(pair);
    socket.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    let ready = false;
    socket.on("connect", () => {
      connected = true;
      for (const b of pending.splice(0)) socket.write(b);
    });
    socket.on("data", (data) => {
      if (!ready && data.includes(READY_FOR_QUERY)) ready = true;
      if (ws.readyState === ws.OPEN) ws.send(data);
    });
    const closeBoth = () => {
      open.delete(pair);
      socket.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    };
    socket.on("error", closeBoth);
    socket.on("close", closeBoth);
    ws.on("close", closeBoth);
    ws.on("error", closeBoth);
    ws.on("message", (data: Buffer) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (hang && ready) return; // swallowed: the server seems never to answer
      if (connected) socket.write(buf);
      else pending.push(buf);
      if (buf.length >= 5 && buf.subarray(buf.length - 5).equals(TERMINATE)) socket.end(() => closeBoth());
    });
  });

  const actual = (wss.address() as AddressInfo).port;
  return {
    port: actual,
    address: `127.0.0.1:${actual}`,
    setDown(value) {
      down = value;
      if (value) for (const p of [...open]) (p.socket.destroy(), p.ws.terminate(), open.delete(p));
    },
    setHang(value) {
      hang = value;
      // Connections stuck in a hang are dropped when it ends, as a restarted server would.
      if (!value) for (const p of [...open]) (p.socket.destroy(), p.ws.terminate(), open.delete(p));
    },
    async close() {
      for (const p of [...open]) (p.socket.destroy(), p.ws.terminate());
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
