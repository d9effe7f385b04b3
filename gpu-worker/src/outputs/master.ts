import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { playlistSegments } from "../../../src/contract/index.ts";
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
  const dir = dirname(playlistPath);
  const listed = playlistSegments(await readFile(playlistPath, "utf8"));
  return statsOf(await Promise.all(listed.map(async (s) => ({ ...s, bytes: (await stat(join(dir, s.uri))).size }))));
}

/** Bitrates from segments whose sizes are known (a split video's stitch has the chunks' word for them, not the files). */
export function statsOf(segments: PlaylistStats["segments"]): PlaylistStats {
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

/** One rendition of the audio group: the default track first, then every other track. */
export interface AudioRendition {
  uri: string;
  stats: PlaylistStats;
  /** Tag as the file had it (ISO 639-2 or BCP 47), null for none. */
  language: string | null;
  title: string | null;
}

/** ISO 639-2 codes as BCP 47 wants them (its two-letter form where one exists); others pass. */
const TWO_LETTER: Record<string, string> = {
  eng: "en", fra: "fr", fre: "fr", deu: "de", ger: "de", spa: "es", ita: "it", por: "pt", nld: "nl", dut: "nl", rus: "ru",
  jpn: "ja", zho: "zh", chi: "zh", kor: "ko", ara: "ar", hin: "hi", pol: "pl", swe: "sv", nor: "no", dan: "da", fin: "fi",
  tur: "tr", ces: "cs", cze: "cs", ell: "el", gre: "el", heb: "he", hun: "hu", ukr: "uk", vie: "vi", tha: "th", ind: "id",
};
export const bcp47 = (language: string | null) => (language ? (TWO_LETTER[language.toLowerCase()] ?? language.toLowerCase()) : "und");

/** Quoted-string attributes may not hold `"` or line breaks (RFC 8216 §4.2). */
const quoted = (s: string) => s.replace(/["\r\n]/g, "'");

/** Unique NAMEs for a group: the title, else the language, else "Track n". */
export function renditionNames(tracks: { language: string | null; title: string | null }[], fallback = "Track"): string[] {
  const seen = new Map<string, number>();
  return tracks.map((t, i) => {
    const name = quoted(t.title ?? (t.language ? bcp47(t.language) : i === 0 ? "Main" : `${fallback} ${i + 1}`));
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} (${n})`;
  });
}

/**
 * The master playlist, written by us rather than FFmpeg 5.1 (which omits AVERAGE-BANDWIDTH and
 * FRAME-RATE): every variant's BANDWIDTH covers its video plus the largest rendition of the
 * audio group. Every audio track is a rendition; the first is the default.
 */
export function videoMaster(
  variants: MasterVariant[],
  fps: number,
  audioTracks: AudioRendition[],
  subtitles: { uri: string; language: string | null; title: string | null }[] = [],
): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-INDEPENDENT-SEGMENTS"];
  const names = renditionNames(audioTracks);
  const subtitleNames = renditionNames(subtitles, "Subtitles");
  // Subtitles are offered, never forced on (DEFAULT=NO): the viewer turns them on.
  subtitles.forEach((t, i) => {
    lines.push(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${subtitleNames[i]}",LANGUAGE="${bcp47(t.language)}",DEFAULT=NO,AUTOSELECT=YES,URI="${t.uri}"`);
  });
  audioTracks.forEach((t, i) => {
    const isDefault = i === 0 ? "YES" : "NO";
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="${names[i]}",LANGUAGE="${bcp47(t.language)}",DEFAULT=${isDefault},AUTOSELECT=YES,CHANNELS="2",URI="${t.uri}"`);
  });
  const audio = audioTracks.length
    ? { stats: { peak: Math.max(...audioTracks.map((t) => t.stats.peak)), average: Math.max(...audioTracks.map((t) => t.stats.average)) } }
    : null;
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${v.stats.peak + (audio?.stats.peak ?? 0)}`,
      `AVERAGE-BANDWIDTH=${v.stats.average + (audio?.stats.average ?? 0)}`,
      `RESOLUTION=${v.rung.width}x${v.rung.height}`,
      `CODECS="${[avcCodecs(v.rung.level), ...(audio ? [AAC_LC] : [])].join(",")}"`,
      `FRAME-RATE=${fps.toFixed(3)}`,
      ...(audio ? ['AUDIO="aud"'] : []),
      ...(subtitles.length ? ['SUBTITLES="subs"'] : []),
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
