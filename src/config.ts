import { z } from "zod";
import { setLogLevel } from "./log.ts";

/** One subscriber of the platform's webhooks: where to POST, and its Standard Webhooks secret. */
export interface PlatformWebhook {
  url: string;
  secret: string;
}

/** `PLATFORM_WEBHOOK_URLS`: a JSON object from each subscriber URL to its own `whsec_…` secret. */
const platformWebhookUrls = z.record(z.url({ protocol: /^https?$/ }), z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "must be a whsec_ secret (base64)"));

/** Typed view of the Worker's bindings; every knob has one name (design.md §6) and one parse. */
export interface Config {
  runpod: { apiBase: string; apiKey: string; endpointId: string; dispatchTimeoutMs: number };
  webhookSecrets: string[];
  webhookUrl: string;
  databaseUrl: string;
  dbWsProxy: string | null;
  jwtSecret: string;
  /** Tokens come from the identity service, which shares the secret: they must name it and us. */
  jwt: { issuer: string; audience: string; clockToleranceSeconds: number };
  serviceToken: string | null;
  /** Bound on one unit of Postgres work (connect excluded, which has its own). */
  dbQueryTimeoutMs: number;
  /**
   * A person's request re-reads the row's soft delete at most this often (each read is a Postgres
   * connection: ~20 ms on PGlite, ~265 ms with SCRAM on a real server). In between, a deletion is
   * still found at once by the next projection write, which ends the item and cancels its job.
   */
  deletionCheckMs: number;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; mediaBucket: string };
  /** The mezzanine archive (B2); null when none is configured. The control plane only deletes there. */
  archive: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string } | null;
  stuckJob: {
    /** A job that has sent nothing for this long (and RunPod does not report queued) is stuck. */
    stallSeconds: number;
    /** Longest a job may wait in RunPod's queue before its first sign of life. */
    queueCeilingSeconds: number;
    /** Hard ceiling once the worker has reported the probed duration: max(floor, duration × factor). */
    floorSeconds: number;
    realtimeFactor: number;
    /** Assumed for RunPod's own execution timeout, which is set at dispatch before anyone knows the duration. */
    unknownDurationSeconds: number;
  };
  /** Long videos split across workers: from this length, at most this many chunk jobs at once, of about this length, tried again this often. */
  fanout: { minSeconds: number; maxWorkers: number; chunkSeconds: number; chunkRetries: number };
  /** Multipart uploads: the part size clients get (larger for huge files), and how long an unfinished upload lives. */
  upload: { partSizeBytes: number; ttlMs: number; partUrlTtlSeconds: number };
  /** Key of viewers' playback tokens (the Worker's own; null: playback is off). */
  playbackSigningSecret: string | null;
  /** Subscribers told of every state change (empty: nobody). */
  platformWebhooks: PlatformWebhook[];
  /** Retries of a delivery: exponential from baseMs to maxMs, for giveUpAfterMs (24 h by default); each try waits timeoutMs. */
  platformWebhookRetry: { baseMs: number; maxMs: number; giveUpAfterMs: number; timeoutMs: number };
  /** Per-creator limits on GPU spending (a CreatorObject counts them). */
  ingest: { maxBytes: number; allowHosts: string[] };
  limits: { jobsInFlight: number; jobsPerDay: number; uploadBytesPerDay: number; registrationsPerDay: number; openUploads: number };
}

function num(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) ? n : fallback;
}

const parsed = new WeakMap<Env, Config>();

/** The config of these bindings, parsed once per isolate (workerd hands every request the same env). */
export function configFrom(env: Env): Config {
  let config = parsed.get(env);
  if (!config) {
    setLogLevel(env.LOG_LEVEL);
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

function parseConfig(env: Env): Config {
  return {
    runpod: {
      apiBase: (env.RUNPOD_API_BASE || "https://api.runpod.ai/v2").replace(/\/+$/, ""),
      apiKey: env.RUNPOD_API_KEY,
      endpointId: env.RUNPOD_ENDPOINT_ID,
      dispatchTimeoutMs: num(env.DISPATCH_TIMEOUT_MS, 10_000),
    },
    webhookSecrets: [env.RUNPOD_WEBHOOK_SECRET, env.RUNPOD_WEBHOOK_SECRET_PREVIOUS].filter((s): s is string => !!s),
    webhookUrl: `${(env.WEBHOOK_BASE_URL || "").replace(/\/+$/, "")}/api/transcoding/webhook`,
    databaseUrl: env.DATABASE_URL,
    dbWsProxy: env.DB_WS_PROXY || null,
    jwtSecret: env.JWT_SECRET,
    jwt: {
      issuer: env.JWT_ISSUER || "media-identity",
      audience: env.JWT_AUDIENCE || "media-transcoder",
      clockToleranceSeconds: num(env.JWT_CLOCK_TOLERANCE_SECONDS, 30),
    },
    serviceToken: env.SERVICE_TOKEN || null,
    dbQueryTimeoutMs: num(env.DB_QUERY_TIMEOUT_MS, 5_000),
    deletionCheckMs: num(env.DELETION_CHECK_SECONDS, 10) * 1000,
    s3: {
      endpoint: env.S3_ENDPOINT.replace(/\/+$/, ""),
      region: env.S3_REGION || "auto",
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      mediaBucket: env.MEDIA_BUCKET || "media",
    },
    archive: env.ARCHIVE_ENDPOINT
      ? {
          endpoint: env.ARCHIVE_ENDPOINT.replace(/\/+$/, ""),
          region: env.ARCHIVE_REGION || env.S3_REGION || "auto",
          accessKeyId: env.ARCHIVE_ACCESS_KEY_ID || env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.ARCHIVE_SECRET_ACCESS_KEY || env.S3_SECRET_ACCESS_KEY,
          bucket: env.ARCHIVE_BUCKET || "archive",
        }
      : null,
    stuckJob: {
      stallSeconds: num(env.STALL_WINDOW_SECONDS, 600),
      queueCeilingSeconds: num(env.QUEUE_CEILING_SECONDS, 3600),
      floorSeconds: num(env.STUCK_JOB_FLOOR_SECONDS, 900),
      realtimeFactor: num(env.STUCK_JOB_REALTIME_FACTOR, 3),
      // The upload service may not know the duration yet; assume an hour-long source.
      unknownDurationSeconds: num(env.STUCK_JOB_UNKNOWN_DURATION_SECONDS, 3600),
    },
    fanout: {
      minSeconds: num(env.FANOUT_MIN_SECONDS, 90),
      maxWorkers: Math.max(1, Math.floor(num(env.FANOUT_MAX_WORKERS, 1))),
      chunkSeconds: num(env.FANOUT_CHUNK_SECONDS, 30),
      chunkRetries: Math.max(0, Math.floor(num(env.FANOUT_CHUNK_RETRIES, 2))),
    },
    upload: {
      partSizeBytes: num(env.UPLOAD_PART_SIZE_BYTES, 16 * 1024 ** 2),
      ttlMs: num(env.UPLOAD_TTL_HOURS, 24) * 3_600_000,
      partUrlTtlSeconds: num(env.UPLOAD_PART_URL_TTL_SECONDS, 3600),
    },
    playbackSigningSecret: env.PLAYBACK_SIGNING_SECRET || null,
    platformWebhooks: parsePlatformWebhooks(env.PLATFORM_WEBHOOK_URLS),
    platformWebhookRetry: {
      baseMs: num(env.PLATFORM_WEBHOOK_RETRY_BASE_SECONDS, 5) * 1000,
      maxMs: num(env.PLATFORM_WEBHOOK_RETRY_MAX_SECONDS, 3600) * 1000,
      giveUpAfterMs: num(env.PLATFORM_WEBHOOK_RETRY_HOURS, 24) * 3_600_000,
      timeoutMs: num(env.PLATFORM_WEBHOOK_TIMEOUT_SECONDS, 10) * 1000,
    },
    ingest: {
      // The most an ingest copies when the request says no less (the largest upload).
      maxBytes: num(env.INGEST_MAX_BYTES, 20 * 1024 ** 3),
      // Hosts exempt from the address and port rules (src/contract/ingest.ts): loopback servers in tests.
      allowHosts: (env.INGEST_ALLOW_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    },
    limits: {
      jobsInFlight: num(env.LIMIT_JOBS_IN_FLIGHT, 3),
      jobsPerDay: num(env.LIMIT_JOBS_PER_DAY, 50),
      uploadBytesPerDay: num(env.LIMIT_UPLOAD_BYTES_PER_DAY, 200 * 1024 ** 3),
      registrationsPerDay: num(env.LIMIT_REGISTRATIONS_PER_DAY, 200),
      openUploads: num(env.LIMIT_OPEN_UPLOADS, 20),
    },
  };
}

function parsePlatformWebhooks(value: string | undefined): PlatformWebhook[] {
  if (!value?.trim()) return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error("PLATFORM_WEBHOOK_URLS must be a JSON object of subscriber URL → whsec_ secret");
  }
  const parsed = platformWebhookUrls.safeParse(json);
  if (!parsed.success) throw new Error(`PLATFORM_WEBHOOK_URLS: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return Object.entries(parsed.data).map(([url, secret]) => ({ url, secret }));
}

/** The longest a job of this duration may run: max(floor, duration × factor); an hour assumed when unknown. */
export function stuckJobBudgetMs(config: Config, durationSeconds: number | null): number {
  const { floorSeconds, realtimeFactor, unknownDurationSeconds } = config.stuckJob;
  return Math.max(floorSeconds, (durationSeconds ?? unknownDurationSeconds) * realtimeFactor) * 1000;
}
