import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ClosedSafeWebSocket } from "../../src/db/client.ts";

/** A WebSocket through the local proxy to Postgres, opened, then closed by us. */
async function openedThenClosed(make: (url: string) => WebSocket): Promise<WebSocket> {
  const u = new URL(env.DATABASE_URL);
  const ws = make(`ws://${env.DB_WS_PROXY}/v2?address=${u.hostname}:${u.port}`);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("could not open")));
  });
  ws.close();
  return ws;
}

describe("writes after close on the driver's WebSocket", () => {
  it("workerd throws from send() on a closed WebSocket: the uncaught error the driver's deferred writes caused", async () => {
    const raw = await openedThenClosed((url) => new WebSocket(url));
    expect(() => raw.send(new Uint8Array([0x58, 0, 0, 0, 4]))).toThrow(/after close/);
  });

  it("the socket the driver is given drops such a write instead of throwing", async () => {
    const safe = await openedThenClosed(ClosedSafeWebSocket);
    expect(() => safe.send(new Uint8Array([0x58, 0, 0, 0, 4]))).not.toThrow();
  });
});
