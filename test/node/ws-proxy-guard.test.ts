import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startWsProxy, type WsProxy } from "../../dev/ws-proxy.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server that answers every byte with "pong", standing in for a Postgres. */
async function echoServer() {
  const seen: string[] = [];
  const server = net.createServer((s) => s.on("data", (d) => (seen.push(d.toString()), s.write("pong"))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function proxyFor(target: string): Promise<WsProxy> {
  const proxy = await startWsProxy({ target });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Opens a WebSocket through the proxy and says what happened: the relayed answer, a close code, or an HTTP refusal. */
function attempt(proxy: WsProxy, address: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${proxy.address}/v2?address=${address}`, { headers });
    ws.on("open", () => ws.send(Buffer.from("ping")));
    ws.on("message", (d) => (resolve(`relayed ${d.toString()}`), ws.close()));
    ws.on("close", (code) => resolve(`closed ${code}`));
    ws.on("unexpected-response", (_req, res) => resolve(`http ${res.statusCode}`));
    ws.on("error", () => {});
  });
}

describe("the local WebSocket-to-TCP proxy reaches only the configured Postgres, and no browser", () => {
  it("relays to the configured address", async () => {
    const pg = await echoServer();
    expect(await attempt(await proxyFor(pg.target), pg.target)).toBe("relayed pong");
  });

  it("refuses any other host or port, and sends it nothing", async () => {
    const pg = await echoServer();
    const other = await echoServer();
    const proxy = await proxyFor(pg.target);
    expect(await attempt(proxy, other.target)).toBe("closed 1008");
    expect(await attempt(proxy, "169.254.169.254:80")).toBe("closed 1008");
    expect(other.seen).toEqual([]);
  });

  it("refuses a request that carries an Origin (a web page), even for the right address", async () => {
    const pg = await echoServer();
    const proxy = await proxyFor(pg.target);
    expect(await attempt(proxy, pg.target, { origin: "https://evil.example" })).toBe("http 403");
    expect(await attempt(proxy, pg.target, { origin: "http://127.0.0.1:8787" })).toBe("http 403");
    expect(pg.seen).toEqual([]);
  });
});
