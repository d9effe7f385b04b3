import { setLogLevel } from "./log.ts";

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
  /** Per-creator limits on GPU spending (a CreatorObject counts them). */
  limits: { jobsInFlight: number; jobsPerDay: number; uploadBytesPerDay: number };
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
    stuckJob: {
      stallSeconds: num(env.STALL_WINDOW_SECONDS, 600),
      queueCeilingSeconds: num(env.QUEUE_CEILING_SECONDS, 3600),
      floorSeconds: num(env.STUCK_JOB_FLOOR_SECONDS, 900),
      realtimeFactor: num(env.STUCK_JOB_REALTIME_FACTOR, 3),
      // The upload service may not know the duration yet; assume an hour-long source.
      unknownDurationSeconds: num(env.STUCK_JOB_UNKNOWN_DURATION_SECONDS, 3600),
    },
    limits: {
      jobsInFlight: num(env.LIMIT_JOBS_IN_FLIGHT, 3),
      jobsPerDay: num(env.LIMIT_JOBS_PER_DAY, 50),
      uploadBytesPerDay: num(env.LIMIT_UPLOAD_BYTES_PER_DAY, 200 * 1024 ** 3),
    },
  };
}

/** The longest a job of this duration may run: max(floor, duration × factor); an hour assumed when unknown. */
export function stuckJobBudgetMs(config: Config, durationSeconds: number | null): number {
  const { floorSeconds, realtimeFactor, unknownDurationSeconds } = config.stuckJob;
  return Math.max(floorSeconds, (durationSeconds ?? unknownDurationSeconds) * realtimeFactor) * 1000;
}
