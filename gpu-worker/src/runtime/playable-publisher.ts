import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mediaPlaylist, playlistSegments } from "../../../src/contract/index.ts";
import type { PlayableShape } from "../pipeline/types.ts";

export interface PublisherDeps {
  /** Puts a small text object (a playlist) under its key. */
  put(key: string, text: string): Promise<void>;
  /** Whether the segment under this key is uploaded (the uploader's word). */
  uploaded(key: string): boolean;
  /** Told the seconds every expected playlist has published, each time that grows. */
  onPlayable(seconds: number): void;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Makes a job's encode watchable while it runs: after each of the uploader's scans, every media
 * playlist this job encodes is published as an EVENT playlist (RFC 8216 §4.3.3.5) of the
 * contiguous prefix of its segments already uploaded, never past a gap, so a viewer never
 * reads a URI that is not there. Once every playlist has one, the master goes up and the
 * control plane is told how many seconds are playable. The VOD playlists uploaded at the end
 * replace these (the uploader's last step, after this has stopped).
 */
export class PlayablePublisher {
  private shape: PlayableShape | null = null;
  private readonly sent = new Map<string, string>();
  private masterUp = false;
  /** Seconds published in every expected playlist so far. */
  private seconds = 0;

  constructor(
    private readonly hlsDir: string,
    private readonly hlsRoot: string,
    private readonly deps: PublisherDeps,
  ) {}

  /** The job knows what it encodes (its plan) just before the encode starts. */
  expect(shape: PlayableShape): void {
    this.shape = shape;
  }

  /** One pass: never throws (publishing is a courtesy; the job's outcome does not hang on it). */
  async publish(): Promise<void> {
    const shape = this.shape;
    if (!shape) return;
    try {
      let least = shape.playlists.length === 0 ? shape.lengthSeconds : Infinity;
      for (const uri of shape.playlists) least = Math.min(least, await this.publishOne(uri));
      if (!(least > 0)) return;
      if (!this.masterUp) {
        await this.deps.put(`${this.hlsRoot}/master.m3u8`, shape.master);
        this.masterUp = true;
      }
      if (least > this.seconds) {
        this.seconds = least;
        this.deps.onPlayable(Math.round(least * 1000) / 1000);
      }
    } catch (error) {
      this.deps.log?.("playable.publish_failed", { error: (error as Error).message });
    }
  }

  /** Publishes one playlist's uploaded prefix; answers its seconds. */
  private async publishOne(uri: string): Promise<number> {
    const local = await readFile(join(this.hlsDir, uri), "utf8").catch(() => "");
    const dir = dirname(uri);
    const prefix: ReturnType<typeof playlistSegments> = [];
    for (const s of playlistSegments(local)) {
      if (s.uri.includes("/") || !this.deps.uploaded(`${this.hlsRoot}/${dir}/${s.uri}`)) break;
      prefix.push(s);
    }
    if (prefix.length === 0) return 0;
    const text = mediaPlaylist(prefix, "EVENT");
    if (this.sent.get(uri) !== text) {
      await this.deps.put(`${this.hlsRoot}/${uri}`, text);
      this.sent.set(uri, text);
    }
    return prefix.reduce((s, x) => s + x.duration, 0);
  }
}
