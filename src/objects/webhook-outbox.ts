import type { Config, PlatformWebhook } from "../config.ts";
import { timed } from "../log.ts";
import { standardWebhookHeaders } from "../clients/standard-webhooks.ts";
import type { LifecycleEvent, LifecycleState } from "../machine/index.ts";
import { enqueue, type Delivery, type Entry, type OutboxState, type OutboxUser } from "./outbox.ts";
import type { LifecycleRecord } from "./record.ts";
import { statusView, type StatusView } from "./status-view.ts";

/**
 * The platform's outbox: each subscriber (PLATFORM_WEBHOOK_URLS) is owed every state change of
 * the item, in order, signed per Standard Webhooks. One lane per subscriber, so a subscriber that
 * is down holds back only its own deliveries.
 */
export const WEBHOOKS_KEY = "outbox:webhooks";

export type PlatformEventType = "media.uploaded" | "media.transcoding" | "media.progress" | "media.playable" | "media.ready" | "media.updated" | "media.failed" | "media.deleted";

/** The body a subscriber receives (the Standard Webhooks shape: type, timestamp, data). */
export interface PlatformEvent {
  type: PlatformEventType;
  timestamp: string;
  data: StatusView & { creatorId: string; previousStatus: LifecycleState };
}

const ENTERED: Partial<Record<LifecycleState, PlatformEventType>> = {
  uploaded: "media.uploaded",
  transcoding: "media.transcoding",
  ready: "media.ready",
  failed: "media.failed",
  deleted: "media.deleted",
};

/** Progress reaches subscribers at most this often (the first one of an attempt at once). */
export const PROGRESS_WEBHOOK_MS = 10_000;
/** A fresh message is sent at once; the alarm only steps in if that try never finishes. */
const WEBHOOK_GRACE_MS = 5_000;
/** How many settled deliveries the item's log keeps, and how many tries each remembers. */
export const WEBHOOK_LOG_SIZE = 50;
export const WEBHOOK_TRIES_KEPT = 5;

/**
 * What a transition tells the platform: entering a state, the attempt becoming playable, or
 * progress (throttled). `media.playable` always comes before `media.ready`: an item ready
 * without having been playable before says both, in that order.
 */
export function platformEventsFor(prev: LifecycleRecord, next: LifecycleRecord, event: LifecycleEvent, lastProgressAt: number | null, at: number): PlatformEventType[] {
  const becamePlayable = next.context.playableAt != null && (prev.context.playableAt == null || prev.context.attemptId !== next.context.attemptId);
  const playable: PlatformEventType[] = becamePlayable && (next.value === "transcoding" || next.value === "ready") ? ["media.playable"] : [];
  if (next.value !== prev.value) return [...playable, ...(ENTERED[next.value] ? [ENTERED[next.value]!] : [])];
  if (playable.length) return playable;
  // A ready item's touch-up changed its outputs (a new poster frame, downloads): the platform re-reads them.
  if (event.type === "TOUCH_UP" && next.value === "ready" && prev.context.output !== next.context.output) return ["media.updated"];
  if (event.type !== "PROGRESS" || next.value !== "transcoding") return [];
  return lastProgressAt !== null && at - lastProgressAt < PROGRESS_WEBHOOK_MS ? [] : ["media.progress"];
}

/** When progress was last queued for subscribers (from what the outbox holds and has logged). */
function lastProgressAt(state: OutboxState<PlatformEvent> | undefined): number | null {
  const times = [...(state?.entries ?? []), ...(state?.log ?? [])].filter((e) => e.payload.type === "media.progress").map((e) => e.createdAt);
  return times.length ? Math.max(...times) : null;
}

/** The outbox after a transition: one message per subscriber when the platform must be told. */
export function webhooksAfter(
  state: OutboxState<PlatformEvent> | undefined,
  subscribers: readonly PlatformWebhook[],
  prev: LifecycleRecord,
  next: LifecycleRecord,
  event: LifecycleEvent,
  at: number,
): OutboxState<PlatformEvent> | undefined {
  if (!subscribers.length) return state;
  const types = platformEventsFor(prev, next, event, lastProgressAt(state), at);
  let out = state;
  for (const type of types) {
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const payload: PlatformEvent = { type, timestamp: new Date(at).toISOString(), data: { ...statusView(next.value, next.context, next.version), creatorId: next.context.creatorId, previousStatus: prev.value } };
    // A newer progress makes an older one that has not been tried pointless.
    const superseded = (queued: Entry<PlatformEvent>) => type === "media.progress" && queued.payload.type === "media.progress" && queued.tries.length === 0;
    out = enqueue(out, subscribers.map((s) => ({ id, lane: s.url, payload, nextAt: at + WEBHOOK_GRACE_MS })), at, superseded);
  }
  return out;
}

/** The platform's webhooks as an outbox user: one lane per subscriber, sent right after the transition's write. */
export function webhookOutbox(config: Pick<Config, "platformWebhooks" | "platformWebhookRetry">): OutboxUser<PlatformEvent> {
  const { platformWebhooks: subscribers, platformWebhookRetry: retry } = config;
  return {
    name: "webhooks",
    key: WEBHOOKS_KEY,
    policy: { baseMs: retry.baseMs, maxMs: retry.maxMs, giveUpAfterMs: retry.giveUpAfterMs },
    logSize: WEBHOOK_LOG_SIZE,
    triesKept: WEBHOOK_TRIES_KEPT,
    after: (state, t) => webhooksAfter(state, subscribers, t.prev, t.next, t.event, t.at),
    // Subscribers hear of a transition at once, not after its effects (a dispatch, a cancel).
    sendWhen: () => "now",
    send: (entry) =>
      timed("webhook.deliver", { mediaId: entry.payload.data.mediaId, messageId: entry.id, type: entry.payload.type }, () => sendWebhook(subscribers, entry, retry.timeoutMs), undefined, { quiet: true }),
  };
}

/** Puts a message from the log back at the end of its lane, with the same webhook-id (receivers dedupe by it). */
export function redeliver(state: OutboxState<PlatformEvent> | undefined, messageId: string, lane: string | null, at: number): OutboxState<PlatformEvent> | null {
  const found = [...(state?.log ?? []), ...(state?.entries ?? [])].filter((e) => e.id === messageId && (lane === null || e.lane === lane));
  if (!found.length) return null;
  const lanes = new Map(found.map((e) => [e.lane, e]));
  return enqueue(state, [...lanes.values()].map((e) => ({ id: e.id, lane: e.lane, payload: e.payload, nextAt: at })), at);
}

/** One signed POST to one subscriber; a 2xx is delivered, anything else (a redirect too) is retried. */
export async function sendWebhook(subscribers: readonly PlatformWebhook[], entry: Entry<PlatformEvent>, timeoutMs: number): Promise<Delivery> {
  const subscriber = subscribers.find((s) => s.url === entry.lane);
  // The subscriber left the configuration: nobody is waiting for it any more.
  if (!subscriber) return { ok: true };
  const body = JSON.stringify(entry.payload);
  const headers = await standardWebhookHeaders(subscriber.secret, entry.id, Math.floor(Date.now() / 1000), body);
  try {
    const res = await fetch(subscriber.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "media-transcoder-webhooks/1" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300 ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (error) {
    return { ok: false, error: (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (error as Error).message };
  }
}

/** The item's delivery log as the dashboard shows it: queued first (in order), then settled, newest first. */
export function deliveryLog(state: OutboxState<PlatformEvent> | undefined) {
  const row = (e: Entry<PlatformEvent>, outcome: "pending" | "delivered" | "given_up", settledAt: number | null) => ({
    messageId: e.id,
    type: e.payload.type,
    subscriber: e.lane,
    outcome,
    queuedAt: new Date(e.createdAt).toISOString(),
    settledAt: settledAt === null ? null : new Date(settledAt).toISOString(),
    nextAttemptAt: outcome === "pending" ? new Date(e.nextAt).toISOString() : null,
    failures: e.failures,
    attempts: e.tries.map((t) => ({ at: new Date(t.at).toISOString(), ms: t.ms, status: t.status, error: t.error })),
  });
  return [...(state?.entries ?? []).map((e) => row(e, "pending", null)), ...[...(state?.log ?? [])].reverse().map((e) => row(e, e.outcome, e.settledAt))];
}
export type DeliveryLogRow = ReturnType<typeof deliveryLog>[number];
