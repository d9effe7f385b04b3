import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import S3rver from "s3rver";
import { verifySigV4 } from "./s3-sigv4.ts";

/** A local S3 API server holding both buckets (media stands in for R2, archive for B2). */
export interface LocalS3 {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Browsers PUT upload parts straight to the bucket (the dashboard's uploader): they need CORS, for
 * the dashboard's origin and no other web page. R2's bucket gets the same rule (docs/deploy.md).
 */
const corsFor = (origins: string[]) =>
  `<CORSConfiguration><CORSRule>${origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join("")}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

type Ctx = { get(name: string): string; set(name: string, value: string): void; response: { get(name: string): string }; method: string; path: string; url: string; headers: Record<string, string | string[] | undefined>; query: Record<string, string | string[] | undefined>; status: number; body: unknown; type: string };

const s3Error = (ctx: Ctx, status: number, code: string, message: string) => {
  ctx.status = status;
  ctx.type = "application/xml";
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message.replace(/[<&]/g, "")}</Message></Error>`;
};

/**
 * Ahead of everything: SigV4 as S3 and R2 check it (./s3-sigv4.ts), since s3rver 3.7 does not
 * (any v4 signature passes, and so does no signature at all). A CORS preflight carries no
 * credentials by design and goes through; everything else is signed or refused.
 */
function signatureCheck(secrets: Record<string, string>) {
  return async (ctx: Ctx, next: () => Promise<void>) => {
    if (ctx.method === "OPTIONS") {
      await next();
      // s3rver answers a matched preflight with `*`; name the one origin it matched, as S3 does.
      if (ctx.response.get("access-control-allow-origin") === "*" && ctx.get("origin")) ctx.set("access-control-allow-origin", ctx.get("origin"));
      return;
    }
    const verdict = await verifySigV4({ method: ctx.method, url: `http://${ctx.headers.host}${ctx.url}`, headers: ctx.headers }, secrets);
    if (!verdict.ok) return s3Error(ctx, verdict.status, verdict.code, verdict.message);
    return next();
  };
}

/**
 * What s3rver 3.7 lacks of multipart uploads: ListParts and AbortMultipartUpload, answered from
 * the folder where s3rver keeps an upload's parts (`<bucket>/._S3rver_uploads/<uploadId>/<n>`
 * with `<n>.md5`), and NoSuchUpload for a part sent to an upload that is gone (s3rver would make
 * it again), so the same resume and abort code runs against R2 and here.
 */
function multipartGapFill(root: string) {
  return async (ctx: Ctx, next: () => Promise<void>) => {
    const uploadId = typeof ctx.query.uploadId === "string" ? ctx.query.uploadId : null;
    const listing = ctx.method === "GET" && uploadId && ctx.query.partNumber === undefined;
    const aborting = ctx.method === "DELETE" && uploadId;
    const part = ctx.method === "PUT" && uploadId && ctx.query.partNumber !== undefined;
    if (!listing && !aborting && !part) return next();
    const [, bucket, ...key] = ctx.path.split("/");
    const dir = join(root, bucket!, "._S3rver_uploads", uploadId!.replace(/[^a-f0-9]/g, ""));
    if (!existsSync(dir)) return s3Error(ctx, 404, "NoSuchUpload", "The specified upload does not exist.");
    if (part) return next();
    if (aborting) {
      rmSync(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    const parts = readdirSync(dir)
      .filter((f) => /^\d+$/.test(f) && existsSync(join(dir, `${f}.md5`)))
      .map(Number)
      .sort((a, b) => a - b)
      .map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>"${readFileSync(join(dir, `${n}.md5`), "utf8").trim()}"</ETag><Size>${statSync(join(dir, String(n))).size}</Size></Part>`);
    ctx.status = 200;
    ctx.type = "application/xml";
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><Bucket>${bucket}</Bucket><Key>${key.join("/")}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`;
  };
}

/** s3rver's one account, the local stack's S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY. */
const LOCAL_KEYS = { S3RVER: "S3RVER" };

/** `corsOrigins`: the web pages that may call storage from a browser (none unless given). */
export async function startS3(opts: { dataDir: string; buckets: string[]; port?: number; corsOrigins?: string[] }): Promise<LocalS3> {
  mkdirSync(opts.dataDir, { recursive: true });
  const server = new S3rver({
    address: "127.0.0.1",
    port: opts.port ?? 0,
    directory: opts.dataDir,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: opts.corsOrigins?.length ? [corsFor(opts.corsOrigins)] : [] })),
    allowMismatchedSignatures: false,
  });
  // Ahead of s3rver's own routes, which refuse these two; and the signature check ahead of all.
  const middleware = (server as unknown as { middleware: unknown[] }).middleware;
  middleware.unshift(multipartGapFill(opts.dataDir));
  middleware.unshift(signatureCheck(LOCAL_KEYS));
  const { port } = (await server.run()) as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => server.close() };
}
