import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/**
 * A platform subscriber for local runs, tests and the benchmark: it verifies every delivery with
 * the `standardwebhooks` library (as a real receiver would) and records it. Each path is one
 * subscriber with its own secret; a subscriber can be taken down (connections refused... or
 * reset), made to fail, or made to lose its acknowledgement once per message.
 */
export type ReceiverMode = "up" | "down" | "fail" | "ack-lost-once";

export interface Received {
  subscriber: string;
  id: string;
  timestamp: number;
  verified: boolean;
  type: string | null;
  mediaId: string | null;
  /** The event's own time (payload.timestamp), for latency. */
  eventAt: number | null;
  receivedAt: number;
  answered: number;
  body: string;
}

export interface WebhookReceiver {
  url(subscriber: string): string;
  secret(subscriber: string): string;
  /** `PLATFORM_WEBHOOK_URLS` for these subscribers. */
  config(): string;
  /** The mode of one subscriber, for every item or only for one creator's items. */
  setMode(subscriber: string, mode: ReceiverMode, creatorId?: string): void;
  received(filter?: { mediaId?: string; subscriber?: string }): Received[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(subscribers: string[], opts: { port?: number } = {}): Promise<WebhookReceiver> {
  const secrets = new Map(subscribers.map((s) => [s, `whsec_${randomBytes(24).toString("base64")}`]));
  const verifiers = new Map([...secrets].map(([s, secret]) => [s, new Webhook(secret)]));
  const modes = new Map<string, ReceiverMode>(subscribers.map((s) => [s, "up"]));
  const seen = new Set<string>();
  const log: Received[] = [];
  const server = http.createServer((req, res) => {
    const subscriber = (req.url ?? "/").replace(/^\/hooks\//, "");
    const verifier = verifiers.get(subscriber);
    if (!verifier || req.method !== "POST") return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = { "webhook-id": String(req.headers["webhook-id"] ?? ""), "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""), "webhook-signature": String(req.headers["webhook-signature"] ?? "") };
      type Payload = { type?: string; timestamp?: string; data?: { mediaId?: string; creatorId?: string } };
      let payload: Payload | null;
      try {
        payload = verifier.verify(body, headers) as Payload;
      } catch {
        payload = null;
      }
      const mode = modes.get(`${subscriber}/${payload?.data?.creatorId}`) ?? modes.get(subscriber)!;
      // Down: the connection is dropped without an answer, as a host that is not there would.
      if (mode === "down") return void req.socket.destroy();
      const key = `${subscriber}/${headers["webhook-id"]}`;
      const answered = mode === "fail" || (mode === "ack-lost-once" && !seen.has(key)) ? 500 : payload ? 204 : 400;
      seen.add(key);
      log.push({
        subscriber,
        id: headers["webhook-id"],
        timestamp: Number(headers["webhook-timestamp"]),
        verified: payload !== null,
        type: payload?.type ?? null,
        mediaId: payload?.data?.mediaId ?? null,
        eventAt: payload?.timestamp ? Date.parse(payload.timestamp) : null,
        receivedAt: Date.now(),
        answered,
        body,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (s) => `${base}/hooks/${s}`,
    secret: (s) => secrets.get(s)!,
    config: () => JSON.stringify(Object.fromEntries(subscribers.map((s) => [`${base}/hooks/${s}`, secrets.get(s)]))),
    setMode: (s, mode, creatorId) => void modes.set(creatorId ? `${s}/${creatorId}` : s, mode),
    received: (f = {}) => log.filter((r) => (!f.mediaId || r.mediaId === f.mediaId) && (!f.subscriber || r.subscriber === f.subscriber)),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
