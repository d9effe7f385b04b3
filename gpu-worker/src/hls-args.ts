/** Flags for one VOD HLS output of MPEG-TS segments into `dir` (playlist `name`). */
export function hlsOutputArgs(dir: string, playlist: string, segmentSeconds: number): string[] {
  return [
    "-f", "hls",
    // Segments cut at keyframes every `segmentSeconds` (3 GOPs of 2 s by default).
    "-hls_time", String(segmentSeconds),
    // VOD: the whole list, with ENDLIST, written once.
    "-hls_playlist_type", "vod",
    // Every segment starts with a keyframe; tells players they may switch at any boundary.
    "-hls_flags", "independent_segments",
    "-hls_segment_type", "mpegts",
    "-hls_segment_filename", `${dir}/seg_%05d.ts`,
    `${dir}/${playlist}`,
  ];
}

/** AAC-LC stereo at 48 kHz: what every HLS player decodes. */
export function aacArgs(kbps = 128): string[] {
  return ["-c:a", "aac", "-b:a", `${kbps}k`, "-ar", "48000", "-ac", "2"];
}

/** Every audio rendition's sample format: 48 kHz stereo, whatever the source had (one place for all encodes). */
export const STEREO_48K = ["aresample=48000", "aformat=sample_rates=48000:channel_layouts=stereo"] as const;

/** Makes a filter chain usable inside -filter_complex (an empty chain passes frames through). */
export function chain(filters: (string | null | undefined)[], passthrough: "null" | "anull"): string {
  const list = filters.filter((f): f is string => !!f);
  return list.length ? list.join(",") : passthrough;
}
