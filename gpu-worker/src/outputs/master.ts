import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { avcCodecs, type Rung } from "../plan.ts";

export interface PlaylistStats {
  /** Peak segment bitrate, bits/s. */
  peak: number;
  /** Whole-playlist bitrate, bits/s. */
  average: number;
  segments: { uri: string; duration: number; bytes: number }[];
}

/** Measures a media playlist's real bitrates from its segment files. */
export async function playlistStats(playlistPath: string): Promise<PlaylistStats> {
  const text = await readFile(playlistPath, "utf8");
  const dir = dirname(playlistPath);
  const segments: PlaylistStats["segments"] = [];
  let duration = 0;
  for (const line of text.split("\n")) {
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) duration = Number(m[1]);
    else if (line && !line.startsWith("#")) {
      segments.push({ uri: line.trim(), duration, bytes: (await stat(join(dir, line.trim()))).size });
    }
  }
  const totalBytes = segments.reduce((s, x) => s + x.bytes, 0);
  const totalSeconds = segments.reduce((s, x) => s + x.duration, 0);
  // A very short last segment says little about peak rate; use it only when it is the only one.
  const forPeak = segments.length > 1 ? segments.filter((s) => s.duration >= 1) : segments;
  const peak = Math.max(...forPeak.map((s) => (s.bytes * 8) / Math.max(s.duration, 0.001)));
  return { peak: Math.ceil(peak), average: Math.ceil((totalBytes * 8) / Math.max(totalSeconds, 0.001)), segments };
}

export interface MasterVariant {
  rung: Rung;
  uri: string;
  stats: PlaylistStats;
}

const AAC_LC = "mp4a.40.2";

/**
 * The master playlist, written by us rather than FFmpeg 5.1 (which omits AVERAGE-BANDWIDTH and
 * FRAME-RATE): every variant's BANDWIDTH covers its video plus the shared audio group.
 */
export function videoMaster(variants: MasterVariant[], fps: number, audio: { uri: string; stats: PlaylistStats } | null): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-INDEPENDENT-SEGMENTS"];
  if (audio) {
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Main",LANGUAGE="und",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="${audio.uri}"`);
  }
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${v.stats.peak + (audio?.stats.peak ?? 0)}`,
      `AVERAGE-BANDWIDTH=${v.stats.average + (audio?.stats.average ?? 0)}`,
      `RESOLUTION=${v.rung.width}x${v.rung.height}`,
      `CODECS="${[avcCodecs(v.rung.level), ...(audio ? [AAC_LC] : [])].join(",")}"`,
      `FRAME-RATE=${fps.toFixed(3)}`,
      ...(audio ? ['AUDIO="aud"'] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, v.uri);
  }
  return lines.join("\n") + "\n";
}

export function audioMaster(audio: { uri: string; stats: PlaylistStats }): string {
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:4",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    `#EXT-X-STREAM-INF:BANDWIDTH=${audio.stats.peak},AVERAGE-BANDWIDTH=${audio.stats.average},CODECS="${AAC_LC}"`,
    audio.uri,
    "",
  ].join("\n");
}
