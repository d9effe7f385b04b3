import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { OutputFile } from "../pipeline.ts";
import type { S3Store } from "./s3-store.ts";

export interface UploadStats {
  files: number;
  bytes: number;
  /** Segments that went up while FFmpeg was still encoding. */
  early: number;
}

/**
 * Uploads a job's outputs with bounded concurrency. While FFmpeg runs, `watch` uploads each
 * segment as soon as its media playlist lists it (the HLS muxer rewrites the playlist only
 * after a segment is closed). Playlists go last and the master very last, so a reader that
 * finds the master finds everything it points to.
 */
export class OutputUploader {
  private readonly started = new Map<string, Promise<void>>();
  /** Media-bucket keys whose upload has finished. */
  private readonly done = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private failure: unknown = null;
  readonly stats: UploadStats = { files: 0, bytes: 0, early: 0 };

  constructor(
    private readonly stores: { media: S3Store; archive: S3Store | null },
    private readonly concurrency = 8,
    private readonly signal?: AbortSignal,
  ) {}

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private put(file: OutputFile, early = false): Promise<void> {
    const existing = this.started.get(`${file.bucket}/${file.key}`);
    if (existing) return existing;
    const store = file.bucket === "archive" ? this.stores.archive : this.stores.media;
    const task = this.slot(async () => {
      if (!store) throw new Error(`no ${file.bucket} bucket is configured`);
      this.stats.bytes += await store.upload(file.key, file.path, this.signal);
      this.stats.files++;
      if (early) this.stats.early++;
      if (file.bucket === "media") this.done.add(file.key);
    });
    task.catch((e) => (this.failure ??= e));
    this.started.set(`${file.bucket}/${file.key}`, task);
    return task;
  }

  /** Whether this media-bucket key's upload has finished. */
  uploaded(key: string): boolean {
    return this.done.has(key);
  }

  /**
   * Starts uploading finished segments under `hlsDir` every `intervalMs` until stopped; `after`
   * runs after each scan (the playable publisher), and has finished once the stop resolves.
   */
  watch(hlsDir: string, hlsRoot: string, intervalMs = 1000, after?: () => Promise<void>): () => Promise<void> {
    let scanning: Promise<void> = Promise.resolve();
    const scan = async () => {
      const started: Promise<void>[] = [];
      const dirs = await readdir(hlsDir, { withFileTypes: true }).catch(() => []);
      for (const dir of dirs.filter((d) => d.isDirectory())) {
        const files = await readdir(join(hlsDir, dir.name)).catch(() => [] as string[]);
        for (const playlist of files.filter((f) => f.endsWith(".m3u8"))) {
          const text = await readFile(join(hlsDir, dir.name, playlist), "utf8").catch(() => "");
          for (const line of text.split("\n")) {
            const uri = line.trim();
            if (!uri || uri.startsWith("#") || uri.includes("/")) continue;
            started.push(this.put({ bucket: "media", key: `${hlsRoot}/${dir.name}/${uri}`, path: join(hlsDir, dir.name, uri) }, true));
          }
        }
      }
      // `after` sees what this scan sent up (a failed upload is the job's to report, at uploadAll).
      if (after) await Promise.allSettled(started);
    };
    const timer = setInterval(() => {
      scanning = scanning.then(scan).then(after).catch(() => {});
    }, intervalMs);
    return async () => {
      clearInterval(timer);
      await scanning;
    };
  }

  /** Uploads everything not yet uploaded: media first, then playlists, then the master. */
  async uploadAll(files: OutputFile[]): Promise<UploadStats> {
    const isPlaylist = (f: OutputFile) => f.key.endsWith(".m3u8");
    const isMaster = (f: OutputFile) => f.key.endsWith("/master.m3u8");
    await Promise.all(files.filter((f) => !isPlaylist(f)).map((f) => this.put(f)));
    await Promise.all(files.filter((f) => isPlaylist(f) && !isMaster(f)).map((f) => this.put(f)));
    await Promise.all(files.filter(isMaster).map((f) => this.put(f)));
    if (this.failure) throw this.failure;
    return this.stats;
  }

  /** Waits for uploads already started (used before giving up on a failed job). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.started.values());
  }
}
