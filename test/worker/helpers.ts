import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { vi } from "vitest";
import { AwsClient } from "aws4fetch";
import { uploadAll, type ApiCall } from "../../dev/multipart-client.ts";
import { outputKeys, signPayload, SIGNATURE_HEADER, type CallbackPayload, type JobInput, type JobOutput } from "../../src/contract/index.ts";
import { configFrom } from "../../src/config.ts";
import { withDb } from "../../src/db/client.ts";
import { mediaObject } from "../../src/objects/stubs.ts";
import type { LifecycleRecord } from "../../src/objects/record.ts";
import type { OutboxState } from "../../src/objects/outbox.ts";
import { PROJECTION_KEY, type ProjectionDue } from "../../src/objects/projection-outbox.ts";
import { mediaItems } from "../../schema/index.ts";

export const uuid = () => crypto.randomUUID();

export interface TokenClaims {
  secret?: string;
  iss?: string | null;
  aud?: string | null;
  /** Seconds from now; null leaves `exp` out. */
  expiresIn?: number | null;
}

/** A bearer JWT as the identity service issues them (iss/aud from wrangler.toml, an hour's life). */
export async function tokenFor(sub: string, role: "creator" | "admin" = "creator", claims: TokenClaims = {}): Promise<string> {
  const jwt = new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt();
  const iss = claims.iss === undefined ? env.JWT_ISSUER : claims.iss;
  const aud = claims.aud === undefined ? env.JWT_AUDIENCE : claims.aud;
  const expiresIn = claims.expiresIn === undefined ? 3600 : claims.expiresIn;
  if (iss !== null) jwt.setIssuer(iss);
  if (aud !== null) jwt.setAudience(aud);
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return jwt.sign(new TextEncoder().encode(claims.secret ?? env.JWT_SECRET));
}
export const adminToken = () => tokenFor(uuid(), "admin");

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  const res = await SELF.fetch(`http://control.test${path}`, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** 11 bytes that open like an MP4 (an `ftyp` box): what the upload's first-bytes check accepts. */
export const SMALL_MP4 = new TextEncoder().encode("\u0000\u0000\u0000\u0018ftypiso");

/** The API for the multipart client, as this token. */
export const apiAs = (token: string): ApiCall => (method, path, body) => api(method, path, { token, body });

/** Registers an item, uploads its bytes in one part to s3rver (the multipart API), and completes. */
export async function uploadedItem(creatorId: string, mediaType: "video" | "audio" = "video", opts: { skipUpload?: boolean } = {}) {
  const token = await tokenFor(creatorId);
  const reg = await api("POST", "/api/media", {
    token,
    body: { mediaType, filename: mediaType === "video" ? "clip one.mp4" : "voice.m4a", size: 11, contentType: `${mediaType}/mp4` },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const id: string = reg.body.id;
  if (!opts.skipUpload) {
    const done = await uploadAll(apiAs(token), id, async () => SMALL_MP4);
    if (done.status !== 200) throw new Error(`upload-complete: ${done.status} ${JSON.stringify(done.body)}`);
  }
  return { id, token, creatorId, mediaType };
}

/** An uploaded item triggered into `transcoding`, with the job the fake RunPod received. */
export async function transcodingItem(runpod: FakeRunpod, creatorId = uuid()) {
  const item = await uploadedItem(creatorId);
  await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
  return { item, job: runpod.lastJob() };
}

/** The item's status as its owner sees it. */
export const statusOf = async (item: { id: string; token: string }) =>
  (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body;

// ---- RunPod at the fetch boundary ---------------------------------------------------------

export interface FakeRunpod {
  runs: { input: JobInput; policy: unknown; auth: string | null }[];
  cancels: string[];
  /** What /run does next: answer, fail with 500, never answer, or take the job and then never answer. */
  mode: "ok" | "500" | "hang" | "accept-then-hang";
  /** What /status answers per job id. */
  statuses: Map<string, { status: string; output?: unknown; error?: string }>;
  lastJob(): { jobId: string; input: JobInput };
  restore(): void;
}

export function fakeRunpod(): FakeRunpod {
  const realFetch = globalThis.fetch;
  const fake: FakeRunpod = {
    runs: [],
    cancels: [],
    mode: "ok",
    statuses: new Map(),
    lastJob() {
      const run = fake.runs.at(-1);
      if (!run) throw new Error("no job was dispatched");
      return { jobId: `job-${fake.runs.length}-${run.input.attemptId.slice(0, 8)}`, input: run.input };
    },
    restore: () => spy.mockRestore(),
  };
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    // Look at the URL first: building a Request from another one would use up its body.
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.host !== "runpod.test") return realFetch(input, init);
    const req = new Request(input, init);
    const path = url.pathname.replace("/v2/endpoint-test", "");
    if (path === "/run") {
      if (fake.mode === "500") return new Response("internal error", { status: 500 });
      if (fake.mode === "hang") {
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
      }
      const body = (await req.json()) as { input: JobInput; policy: unknown };
      fake.runs.push({ input: body.input, policy: body.policy, auth: req.headers.get("authorization") });
      if (fake.mode === "accept-then-hang") {
        // RunPod took the job; its answer is lost on the way back.
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
      }
      return Response.json({ id: fake.lastJob().jobId, status: "IN_QUEUE" });
    }
    const status = /^\/status\/(.+)$/.exec(path);
    if (status) {
      const s = fake.statuses.get(decodeURIComponent(status[1]!));
      return s ? Response.json({ id: status[1], ...s }) : new Response("not found", { status: 404 });
    }
    const cancel = /^\/cancel\/(.+)$/.exec(path);
    if (cancel) {
      fake.cancels.push(decodeURIComponent(cancel[1]!));
      return Response.json({ id: cancel[1], status: "CANCELLED" });
    }
    return new Response("unknown route", { status: 404 });
  });
  return fake;
}

// ---- callbacks ----------------------------------------------------------------------------

export function videoOutput(input: JobInput, overrides: Partial<JobOutput> = {}): JobOutput {
  const root = `${input.creatorId}/hls/${input.mediaId}/${input.attemptId}`;
  return {
    mediaType: input.mediaType,
    hlsMasterKey: `${root}/master.m3u8`,
    hlsPreviewKey: `${root}/preview/preview.m3u8`,
    thumbnailKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/auto-generated.jpg`,
    waveformKey: null,
    waveformImageKey: null,
    mezzanineKey: `mezzanine/${input.creatorId}/${input.mediaId}/${input.attemptId}/mezzanine.mp4`,
    storyboardKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/storyboard.jpg`,
    storyboardVttKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/storyboard.vtt`,
    durationSeconds: 20.02,
    width: 1920,
    height: 1080,
    readyVariants: ["1080p", "720p", "480p", "360p"],
    loudness: { integrated: -16.04, truePeak: -1.52, range: 4.3 },
    encoder: "libx264",
    thumbnailSeconds: 2.002,
    subtitles: [{ language: "en", name: "English", codec: "subrip", status: "converted" }],
    ...overrides,
  };
}

export function audioOutput(input: JobInput): JobOutput {
  return {
    ...videoOutput(input),
    mediaType: "audio",
    thumbnailKey: null,
    waveformKey: `${input.creatorId}/waveforms/${input.mediaId}/${input.attemptId}/waveform.json`,
    waveformImageKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/waveform.png`,
    width: null,
    height: null,
    readyVariants: ["audio"],
    encoder: null,
    thumbnailSeconds: null,
    subtitles: [],
    storyboardKey: null,
    storyboardVttKey: null,
  };
}

type Body<S extends CallbackPayload["status"]> = Omit<Extract<CallbackPayload, { status: S }>, "eventId" | "sentAt" | "mediaId" | "attemptId" | "jobId">;

export function payloadFor<S extends CallbackPayload["status"]>(job: { jobId: string; input: JobInput }, body: Body<S> & { status: S }, eventId = uuid()) {
  return {
    eventId,
    attemptId: job.input.attemptId,
    jobId: job.jobId,
    mediaId: job.input.mediaId,
    sentAt: new Date().toISOString(),
    ...body,
  } as unknown as CallbackPayload;
}

export async function sendCallback(payload: unknown, opts: { secret?: string; t?: number; signature?: string | null; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(payload);
  const signature =
    opts.signature === undefined ? await signPayload(opts.secret ?? env.RUNPOD_WEBHOOK_SECRET, raw, opts.t) : opts.signature;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  const res = await SELF.fetch("http://control.test/api/transcoding/webhook", { method: "POST", headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// ---- Postgres and the object ----------------------------------------------------------------

export async function row(id: string) {
  return withDb(configFrom(env), async (db) => (await db.select().from(mediaItems).where(eq(mediaItems.id, id)))[0] ?? null);
}

/** Polls until `check` passes (the projection is written just after the answer). */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await fn();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < until);
  return last;
}

export const rowWhen = (id: string, check: (r: NonNullable<Awaited<ReturnType<typeof row>>>) => boolean) =>
  eventually(() => row(id), (r) => !!r && check(r));

/** The database up, down (refusing connections) or hanging (connections open, queries never answered). */
export async function setDatabase(state: boolean | "hang") {
  await fetch(`${env.CONTROL_URL}/db/${state === "hang" ? "hang" : state ? "up" : "down"}`);
}

export const stub = (id: string) => mediaObject(env, id);

export async function storedRecord(id: string): Promise<LifecycleRecord> {
  return runInDurableObject(stub(id), async (_o, state) => (await state.storage.get<LifecycleRecord>("lifecycle"))!);
}

/**
 * Moves the item's clocks back by `byMs` (two days unless told: past every stall window, queue
 * and hard ceiling) and fires the alarm, as time passing would. A projection write still in
 * flight may re-arm the alarm from the new deadline first, in which case workerd fires it by
 * itself; either way the reconciliation has run when this returns.
 */
export async function passDeadline(id: string, opts: { byMs?: number; clocks?: ("startedAt" | "lastActivityAt" | "hardDeadlineAt")[] } = {}): Promise<void> {
  const byMs = opts.byMs ?? 2 * 86_400_000;
  await runInDurableObject(stub(id), async (_o, state) => {
    const rec = (await state.storage.get<LifecycleRecord>("lifecycle"))!;
    for (const clock of opts.clocks ?? ["startedAt", "lastActivityAt", "hardDeadlineAt"]) {
      const t = rec.context[clock];
      if (t !== null) rec.context[clock] = t - byMs;
    }
    rec.context.deadlineAt = Date.now() - 1;
    await state.storage.put("lifecycle", rec);
  });
  // The alarm armed at trigger is still set (for the old deadline): run it now.
  if (await runDurableObjectAlarm(stub(id))) return;
  await eventually(() => storedRecord(id), (rec) => rec.value !== "transcoding");
}

/** The projection write the object still owes Postgres (its outbox's head), or undefined when none is due. */
export async function pendingProjection(id: string): Promise<{ version: number; failures: number } | undefined> {
  return runInDurableObject(stub(id), async (_o, state) => {
    const head = (await state.storage.get<OutboxState<ProjectionDue>>(PROJECTION_KEY))?.entries[0];
    return head ? { version: head.payload.version, failures: head.failures } : undefined;
  });
}

// ---- the platform's subscribers (a real receiver, test/support/global-setup.ts) -------------

export interface ReceivedHook {
  subscriber: "a" | "b";
  id: string;
  timestamp: number;
  verified: boolean;
  type: string | null;
  mediaId: string | null;
  answered: number;
  body: string;
}

/** What the receiver recorded for this item (every try, in arrival order), verified there with the `standardwebhooks` library. */
export async function receivedHooks(mediaId: string): Promise<ReceivedHook[]> {
  return (await fetch(`${env.CONTROL_URL}/hooks/received?mediaId=${mediaId}`)).json();
}

/** Subscriber `b`, for one creator's items: up, down (connections dropped), failing (500) or losing its first acknowledgement of each message. */
export async function setSubscriber(creatorId: string, mode: "up" | "down" | "fail" | "ack-lost-once") {
  await fetch(`${env.CONTROL_URL}/hooks/mode?subscriber=b&mode=${mode}&creatorId=${creatorId}`);
}

/** Waits until the subscriber has acknowledged these event types for the item (in any order), then returns what it received. */
export async function hooksWhen(mediaId: string, subscriber: "a" | "b", types: string[], timeoutMs = 15_000): Promise<ReceivedHook[]> {
  const acked = (hooks: ReceivedHook[]) => hooks.filter((h) => h.subscriber === subscriber && h.answered < 300);
  const got = await eventually(
    () => receivedHooks(mediaId),
    (hooks) => types.every((t) => acked(hooks).some((h) => h.type === t)),
    timeoutMs,
  );
  return got.filter((h) => h.subscriber === subscriber);
}

/** An item taken through upload, trigger, three progress reports and completion. */
export async function readyItem(runpod: FakeRunpod, creatorId = uuid()) {
  const { item, job } = await transcodingItem(runpod, creatorId);
  for (const percent of [10, 50, 90]) await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent }));
  await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
  return { item, job };
}

// ---- buckets --------------------------------------------------------------------------------

const aws = () => new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
const objectUrl = (bucket: "media" | "archive", key: string) => `${env.S3_ENDPOINT}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;

export async function putObject(bucket: "media" | "archive", key: string, body: string | Uint8Array = "x", contentType = "application/octet-stream") {
  const res = await aws().fetch(objectUrl(bucket, key), { method: "PUT", body, headers: { "content-type": contentType } });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
}

export async function objectExists(bucket: "media" | "archive", key: string): Promise<boolean> {
  const res = await aws().fetch(objectUrl(bucket, key), { method: "HEAD" });
  return res.ok;
}

/** A ready item's files as a job leaves them: the master, a rung with segments, stills, the mezzanine in the archive. */
export async function writeOutputs(input: JobInput, segments = 3): Promise<{ media: string[]; archive: string[] }> {
  const k = outputKeys(input);
  const media = [k.hlsMaster, `${k.hlsRoot}/360p/index.m3u8`, ...Array.from({ length: segments }, (_, i) => `${k.hlsRoot}/360p/seg_${String(i).padStart(3, "0")}.m4s`), k.thumbnail, k.storyboard, k.storyboardVtt, k.waveform];
  const archive = [k.mezzanine];
  await Promise.all([...media.map((key) => putObject("media", key)), ...archive.map((key) => putObject("archive", key))]);
  return { media, archive };
}

/** The real 1 MB MP4 that global setup made with FFmpeg. */
export async function uploadFixture(): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(`${env.CONTROL_URL}/fixture/clip.mp4`)).arrayBuffer());
}

/** Registers an item declaring `size` bytes (the fixture's unless told) and answers its id and upload. */
export async function registered(token: string, size: number, filename = "clip.mp4", mediaType: "video" | "audio" = "video") {
  const reg = await api("POST", "/api/media", { token, body: { mediaType, filename, size, contentType: `${mediaType}/mp4` } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  return reg.body as { id: string; upload: { uploadId: string; partSize: number; partCount: number; size: number; expiresAt: string } };
}

export async function storedBytes(key: string): Promise<Uint8Array> {
  const res = await aws().fetch(objectUrl("media", key));
  return new Uint8Array(await res.arrayBuffer());
}

export const sha256 = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))].map((x) => x.toString(16).padStart(2, "0")).join("");
