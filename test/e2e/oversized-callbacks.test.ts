import net from "node:net";
import { describe, expect, it } from "vitest";
import { env } from "./support.ts";

/**
 * Raw HTTP/1.1 to `wrangler dev`, as an abusive or careless sender would: it writes the head,
 * then `send` writes (or stops writing) the body, and only then does it read. The answer must be
 * the 413 in the error envelope, whatever the body does: not silence, not a reset connection.
 */
function rawPost(head: Record<string, string | number>, send: (socket: net.Socket) => Promise<void>) {
  const url = new URL(env.url);
  const started = Date.now();
  return new Promise<{ head: string; body: string; ms: number; error?: string }>((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    let data = "";
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      const [h = "", b = ""] = data.split("\r\n\r\n");
      resolve({ head: h, body: b, ms: Date.now() - started, error });
      socket.destroy();
    };
    socket.setTimeout(10_000, () => done("no answer within 10 s"));
    socket.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
    // A connection closed without a whole answer ends the wait too, saying so (no idle timer runs on a closed socket).
    socket.on("close", () => done(data.includes("\r\n\r\n") ? undefined : "closed without an answer"));
    socket.on("data", (d) => {
      data += d.toString("latin1");
      const length = /content-length:\s*(\d+)/i.exec(data)?.[1];
      if (length && data.includes("\r\n\r\n") && data.split("\r\n\r\n")[1]!.length >= Number(length)) done();
    });
    socket.on("connect", async () => {
      const lines = Object.entries({ host: url.host, "content-type": "application/json", ...head }).map(([k, v]) => `${k}: ${v}`);
      socket.write(`POST /api/transcoding/webhook HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
      await send(socket).catch(() => {});
    });
  });
}

const write = (socket: net.Socket, chunk: Buffer) => new Promise<void>((resolve, reject) => socket.write(chunk, (e) => (e ? reject(e) : resolve())));

function expect413(res: { head: string; body: string; error?: string }) {
  expect(res.error).toBeUndefined();
  expect(res.head).toMatch(/^HTTP\/1\.1 413/);
  expect(JSON.parse(res.body).error).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
}

describe("oversized callbacks get a 413", () => {
  it("a chunked 8 MiB body written in full before reading: 413, not a reset connection", async () => {
    const chunk = Buffer.concat([Buffer.from("10000\r\n"), Buffer.alloc(65536, 0x61), Buffer.from("\r\n")]);
    const res = await rawPost({ "transfer-encoding": "chunked" }, async (s) => {
      for (let i = 0; i < 128; i++) await write(s, chunk);
      await write(s, Buffer.from("0\r\n\r\n"));
    });
    expect413(res);
  });

  it("a declared 8 MiB body written in full before reading: 413", async () => {
    const res = await rawPost({ "content-length": 8 * 1024 * 1024 }, (s) => write(s, Buffer.alloc(8 * 1024 * 1024, 0x61)));
    expect413(res);
  });

  it("a body that declares 100 MiB and then stalls: 413 at once, without waiting for the body", async () => {
    const res = await rawPost({ "content-length": 104_857_600 }, (s) => write(s, Buffer.alloc(1024, 0x61)));
    expect413(res);
    expect(res.ms).toBeLessThan(1_000);
  });

  it("a body that declares 2 MiB and stalls: 413 within the 2 s drain bound", async () => {
    const res = await rawPost({ "content-length": 2 * 1024 * 1024 }, (s) => write(s, Buffer.alloc(1024, 0x61)));
    expect413(res);
    expect(res.ms).toBeLessThan(4_000);
  });
});
