import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EncoderChoice } from "../encoders/detect.ts";
import type { HandlerDeps } from "./job-handler.ts";
import { S3Store, type BucketConfig } from "./s3-store.ts";

/** The GPU worker's settings, by the names of design.md §6. */
/**
 * Data memory one FFmpeg child may take by default. Measured on 2 cores: a 2160p60 source's whole
 * ladder with libx264 runs at 1024 MiB and fails at 768 MiB; more cores mean more encoder threads
 * and more memory, hence 8× that. A pixel bomb that passed the probe fails its own job here
 * instead of taking the machine.
 */
export const DEFAULT_MEMORY_LIMIT_MB = 8192;

export function handlerDepsFrom(env: NodeJS.ProcessEnv, log?: HandlerDeps["log"]): HandlerDeps {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set (see docs/deploy.md)`);
    return v;
  };
  const media: BucketConfig = {
    endpoint: need("S3_ENDPOINT"),
    bucket: env.MEDIA_BUCKET ?? "media",
    accessKeyId: need("S3_ACCESS_KEY_ID"),
    secretAccessKey: need("S3_SECRET_ACCESS_KEY"),
    region: env.S3_REGION ?? "auto",
  };
  // The archive (B2) is optional: without it the job makes no mezzanine and says so (null key).
  const archive: BucketConfig | null = env.ARCHIVE_ENDPOINT
    ? {
        endpoint: env.ARCHIVE_ENDPOINT,
        bucket: env.ARCHIVE_BUCKET ?? "archive",
        accessKeyId: env.ARCHIVE_ACCESS_KEY_ID ?? media.accessKeyId,
        secretAccessKey: env.ARCHIVE_SECRET_ACCESS_KEY ?? media.secretAccessKey,
        region: env.ARCHIVE_REGION ?? media.region,
      }
    : null;
  /** A number setting: absent gives undefined; anything but a positive number stops the worker at start. */
  const positive = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
    return n;
  };
  const origins = need("WEBHOOK_ALLOWED_ORIGINS")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let u: URL;
      try {
        u = new URL(o);
      } catch {
        throw new Error(`WEBHOOK_ALLOWED_ORIGINS: "${o}" is not an origin such as https://transcode.example.com`);
      }
      if (!/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/+$/, "")) {
        throw new Error(`WEBHOOK_ALLOWED_ORIGINS: "${o}" is not an origin such as https://transcode.example.com`);
      }
      return u.origin;
    });
  const heartbeat = positive("PROGRESS_HEARTBEAT_SECONDS");
  const encoder = (env.ENCODER ?? "auto") as EncoderChoice;
  if (!["auto", "nvenc", "x264"].includes(encoder)) throw new Error("ENCODER must be auto, nvenc or x264");
  return {
    media: new S3Store(media),
    archive: archive ? new S3Store(archive) : null,
    webhookSecret: need("RUNPOD_WEBHOOK_SECRET"),
    // Hosts an ingest may reach although the address rules would refuse them (src/contract/ingest.ts).
    ingestAllowHosts: (env.INGEST_ALLOW_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    allowedWebhookOrigins: origins,
    scratchRoot: env.SCRATCH_DIR ?? join(tmpdir(), "transcoder-scratch"),
    encoder,
    // A NaN here once switched the duration limit off: positive() refuses it at start instead.
    maxDurationSeconds: positive("MAX_INPUT_SECONDS"),
    maxPixels: positive("MAX_INPUT_PIXELS"),
    // 0 switches the bound off; unset gives DEFAULT_MEMORY_LIMIT_MB.
    memoryLimitBytes: env.FFMPEG_MEMORY_LIMIT_MB === "0" ? null : (positive("FFMPEG_MEMORY_LIMIT_MB") ?? DEFAULT_MEMORY_LIMIT_MB) * 2 ** 20,
    // How often an unchanged progress is repeated; it must stay well inside the control plane's
    // STALL_WINDOW_SECONDS (600 s by default), which judges a silent job stuck.
    callbacks: heartbeat ? { heartbeatMs: heartbeat * 1000 } : undefined,
    log,
  };
}
