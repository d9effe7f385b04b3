import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callbackPayload, SIGNATURE_HEADER, verifySignature, type CallbackPayload } from "../../../src/contract/index.ts";
import { startS3, type LocalS3 } from "../../../dev/s3.ts";
import type { HandlerDeps } from "../../src/runtime/job-handler.ts";
import { S3Store, type TransferOptions } from "../../src/runtime/s3-store.ts";

export const SECRET = "test-webhook-secret";

/** A real local S3 server (s3rver) with the two buckets, for one test file. */
export async function localS3(): Promise<LocalS3 & { store(bucket: "media" | "archive", endpoint?: string, opts?: TransferOptions): S3Store }> {
  const dir = mkdtempSync(join(tmpdir(), "s3-"));
  const s3 = await startS3({ dataDir: dir, buckets: ["media", "archive"] });
  return {
    ...s3,
    store: (bucket, endpoint = s3.endpoint, opts = {}) =>
      new S3Store({ endpoint, bucket, accessKeyId: "S3RVER", secretAccessKey: "S3RVER", region: "us-east-1" }, { retryBaseMs: 10, ...opts }),
    stop: async () => {
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP proxy in front of a server that fails the requests `fail` picks: with a 5xx,
 * or by dropping the connection. Counts what it did.
 */
export async function faultyProxy(target: string, fail: (req: http.IncomingMessage, n: number) => "pass" | "503" | "500" | "drop") {
  const stats = { requests: 0, injected: 0 };
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const n = ++stats.requests;
    const verdict = fail(req, n);
    if (verdict !== "pass") {
      stats.injected++;
      req.resume();
      if (verdict === "drop") return req.socket.destroy();
      res.writeHead(Number(verdict), { "content-type": "application/xml" });
      return res.end("<Error><Code>InternalError</Code></Error>");
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A webhook receiver that checks every callback with the control plane's own verifier and schema. */
export async function webhookReceiver(answer: (n: number, payload: CallbackPayload) => number = () => 200) {
  const received: CallbackPayload[] = [];
  const rejected: string[] = [];
  let n = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const verdict = await verifySignature([SECRET], req.headers[SIGNATURE_HEADER.toLowerCase()] as string, raw);
    if (!verdict.ok) {
      rejected.push(verdict.reason);
      res.writeHead(401).end();
      return;
    }
    const parsed = callbackPayload.safeParse(JSON.parse(raw.toString("utf8")));
    if (!parsed.success) {
      rejected.push(parsed.error.message);
      res.writeHead(400).end();
      return;
    }
    const status = answer(++n, parsed.data);
    if (status >= 200 && status < 300) received.push(parsed.data);
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/transcoding/webhook`,
    received,
    rejected,
    attempts: () => n,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Handler dependencies against the local S3 and a webhook receiver (its origin the only one allowed). */
export function handlerDeps(
  s3: Awaited<ReturnType<typeof localS3>>,
  hook: { url: string },
  scratchRoot: string,
  over: Partial<HandlerDeps> = {},
): HandlerDeps {
  return {
    media: s3.store("media"),
    archive: s3.store("archive"),
    webhookSecret: SECRET,
    allowedWebhookOrigins: [new URL(hook.url).origin],
    scratchRoot,
    encoder: "x264",
    callbacks: { retryBaseMs: 10, terminalDeadlineMs: 2000, progressIntervalMs: 0 },
    ...over,
  };
}
