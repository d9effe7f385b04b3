import net from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/**
 * A WebSocket-to-TCP proxy in the shape Neon documents for local development: the serverless
 * driver opens `ws://<proxy>/v2?address=<host>:<port>` and speaks the Postgres wire protocol
 * in binary frames. `setDown(true)` refuses new connections and drops open ones, so tests can
 * make the database unreachable without stopping it.
 */
export interface WsProxy {
  port: number;
  /** host:port for neonConfig.wsProxy */
  address: string;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

// Postgres Terminate message: 'X' then int32 length 4. PGlite does not close the socket after it,
// so the client's end() would wait for ever unless the proxy closes both sides itself.
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

export async function startWsProxy(port = 0, allowedHosts?: Set<string>): Promise<WsProxy> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  let down = false;
  const open = new Set<{ ws: WebSocket; socket: net.Socket }>();

  wss.on("connection", (ws, req) => {
    const target = new URL(req.url ?? "/", "http://x").searchParams.get("address") ?? "";
    const [host, portText] = target.split(":");
    if (down || !host || !portText || (allowedHosts && !allowedHosts.has(target))) {
      ws.close(1011, down ? "database unreachable" : "address not allowed");
      return;
    }
    const socket = net.connect({ host, port: Number(portText) });
    const pair = { ws, socket };
    open.add(pair);
    socket.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    socket.on("connect", () => {
      connected = true;
      for (const b of pending.splice(0)) socket.write(b);
    });
    socket.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
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
    async close() {
      for (const p of [...open]) (p.socket.destroy(), p.ws.terminate());
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
