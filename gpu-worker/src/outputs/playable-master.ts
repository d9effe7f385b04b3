import type { VideoPlan } from "../plan.ts";
import { audioMaster, videoMaster, type PlaylistStats } from "./master.ts";

/**
 * The master an item is played from while it still encodes (README "Playable while it
 * transcodes"): every rung and every audio track from the start, their bitrates the ones the
 * encoder was told (no segment is measured yet). At `ready` the master with measured bitrates
 * replaces it; a player already playing never reads the master again, and needs only that each
 * BANDWIDTH is an upper bound of what it will fetch, which the rungs' maxrate is.
 */
const AUDIO_KBPS = 128;
/** MPEG-TS packets and PES headers on top of the codec's bitrate (measured ~5–8 % on our AAC segments). */
const TS_OVERHEAD = 1.1;

const nominal = (kbps: number, peakKbps = kbps): PlaylistStats => ({
  peak: Math.ceil(peakKbps * 1000 * TS_OVERHEAD),
  average: Math.ceil(kbps * 1000 * TS_OVERHEAD),
  segments: [],
});

export function playableVideoMaster(plan: VideoPlan, tracks: { language: string | null; title: string | null }[], audioUri: (i: number) => string): string {
  const variants = plan.rungs.map((rung) => ({ rung, uri: `${rung.name}/index.m3u8`, stats: nominal(rung.videoKbps, rung.maxrateKbps) }));
  const audio = tracks.map((t, i) => ({ uri: audioUri(i), stats: nominal(AUDIO_KBPS), language: t.language, title: t.title }));
  // Subtitles join at `ready`: they are converted after the picture's first segment fixes their clock.
  return videoMaster(variants, plan.fps, audio);
}

export const playableAudioMaster = (uri: string) => audioMaster({ uri, stats: nominal(AUDIO_KBPS) });
