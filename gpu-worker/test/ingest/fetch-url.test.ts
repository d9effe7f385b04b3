import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchUrlToFile } from "../../src/ingest/fetch-url.ts";
import { tempDir } from "../support.ts";

// A server on loopback, reached because the tests name 127.0.0.1 in the allowlist (as the local
// stack's INGEST_ALLOW_HOSTS does); every other loopback address stays refused.
let server: Server;
let base: string;
let port: number;
const BODY = Buffer.alloc(300_000, 7);
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/ok") return void res.writeHead(200, { "content-type": "video/mp4", "content-length": BODY.length }).end(BODY);
    if (path === "/chunked") return void (res.writeHead(200), res.write(BODY.subarray(0, 1000)), res.end(BODY.subarray(1000)));
    if (path === "/missing") return void res.writeHead(404).end("no");
    if (path === "/gone") return void res.writeHead(410).end();
    if (path === "/broken") return void res.writeHead(503).end();
    if (path === "/big") return void res.writeHead(200, { "content-length": 10_000_000 }).end();
    if (path === "/big-chunked") {
      res.writeHead(200);
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 1);
      res.on("close", () => clearInterval(timer));
      return;
    }
    if (path === "/slow") return void res.writeHead(200, { "content-length": 100 }).write("x");
    if (path === "/to-ok") return void res.writeHead(302, { location: "/ok" }).end();
    if (path === "/to-other-loopback") return void res.writeHead(302, { location: `http://127.0.0.2:${port}/ok` }).end();
    if (path === "/to-metadata") return void res.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    if (path === "/to-ftp") return void res.writeHead(302, { location: "ftp://example.com/a.mp4" }).end();
    if (path.startsWith("/loop")) return void res.writeHead(302, { location: `/loop${Number(path.slice(5) || 0) + 1}` }).end();
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

const allow = ["127.0.0.1"];
const to = () => join(tempDir(), "copy");
const fetchIt = (url: string, extra: Partial<Parameters<typeof fetchUrlToFile>[2]> = {}) => fetchUrlToFile(url, to(), { allow, maxBytes: 1_000_000, timeoutMs: 5_000, ...extra });

describe("copying a URL for an ingest", () => {
  it("copies the file whole (with or without a length), following a redirect, and reports how far it is", async () => {
    const path = to();
    const seen: number[] = [];
    const got = await fetchUrlToFile(`${base}/ok`, path, { allow, maxBytes: 1_000_000, timeoutMs: 5_000, onProgress: (b) => seen.push(b) });
    expect(got).toMatchObject({ bytes: BODY.length, contentType: "video/mp4" });
    expect(readFileSync(path).equals(BODY)).toBe(true);
    expect(seen.at(-1)).toBe(BODY.length);
    expect((await fetchIt(`${base}/chunked`)).bytes).toBe(BODY.length);
    expect(await fetchIt(`${base}/to-ok`)).toMatchObject({ bytes: BODY.length, finalUrl: `${base}/ok` });
  });

  it.each([
    ["/missing", "URL_NOT_FOUND", false],
    ["/gone", "URL_NOT_FOUND", false],
    ["/broken", "URL_UNREACHABLE", true],
    ["/big", "INPUT_TOO_LARGE", false],
    ["/big-chunked", "INPUT_TOO_LARGE", false],
    ["/to-other-loopback", "URL_REFUSED", false],
    ["/to-metadata", "URL_REFUSED", false],
    ["/to-ftp", "URL_REFUSED", false],
    ["/loop", "URL_REFUSED", false],
  ])("%s: %s", async (path, code, retriable) => {
    await expect(fetchIt(`${base}${path}`)).rejects.toMatchObject({ code, retriable });
  });

  it("a copy that does not finish in time: URL_TIMEOUT", async () => {
    await expect(fetchIt(`${base}/slow`, { timeoutMs: 500 })).rejects.toMatchObject({ code: "URL_TIMEOUT", retriable: true });
  });

  it("without the allowlist, the same loopback server is refused before any connection", async () => {
    await expect(fetchIt(`${base}/ok`, { allow: [] })).rejects.toMatchObject({ code: "URL_REFUSED", message: expect.stringMatching(/port/) });
    await expect(fetchIt("http://127.0.0.1/ok", { allow: [] })).rejects.toMatchObject({ code: "URL_REFUSED", message: expect.stringMatching(/loopback/) });
  });

  it("a name is judged by every address it resolves to, and the connection goes to the address checked", async () => {
    // One private answer among public ones refuses the URL (a rebinding name, or a mistake).
    const rebinding = async () => [{ address: "93.184.216.34", family: 4 }, { address: "10.0.0.7", family: 4 }];
    await expect(fetchIt("http://files.example/ok", { resolve: rebinding })).rejects.toMatchObject({ code: "URL_REFUSED", message: expect.stringMatching(/10\.0\.0\.7 is a private address/) });
    // An allowed name that resolves (here, by the test's resolver) to the loopback server: reached
    // through the pinned address, though the name itself resolves nowhere.
    let asked = 0;
    const pinned = async () => (asked++, [{ address: "127.0.0.1", family: 4 }]);
    expect((await fetchIt(`http://files.invalid:${port}/ok`, { allow: ["files.invalid"], resolve: pinned })).bytes).toBe(BODY.length);
    expect(asked).toBe(1);
  });
});
