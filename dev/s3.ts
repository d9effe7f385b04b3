import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import S3rver from "s3rver";

/** A local S3 API server holding both buckets (media stands in for R2, archive for B2). */
export interface LocalS3 {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startS3(opts: { dataDir: string; buckets: string[]; port?: number }): Promise<LocalS3> {
  mkdirSync(opts.dataDir, { recursive: true });
  const server = new S3rver({
    address: "127.0.0.1",
    port: opts.port ?? 0,
    directory: opts.dataDir,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
    // Browsers (the dashboard player, direct uploads) need CORS.
    allowMismatchedSignatures: false,
  });
  const { port } = (await server.run()) as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => server.close() };
}
