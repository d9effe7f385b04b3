/**
 * Flags for one HLS output of MPEG-TS segments into `dir` (playlist `name`). `startNumber`:
 * the first segment's number, for a chunk whose segments continue another's (fanout/).
 */
export function hlsOutputArgs(dir: string, playlist: string, segmentSeconds: number, startNumber = 0): string[] {
  return [
    ...(startNumber > 0 ? ["-start_number", String(startNumber)] : []),
    "-f", "hls",
    // Segments cut at keyframes every `segmentSeconds` (3 GOPs of 2 s by default).
    "-hls_time", String(segmentSeconds),
    // EVENT: the muxer rewrites the playlist after every segment it closes (a VOD playlist is
    // written once, at the end), so the job can publish what is done while it encodes
    // (runtime/playable-publisher.ts); finishPlaylists makes each VOD when the encode is done.
    "-hls_playlist_type", "event",
    // Every segment starts with a keyframe; tells players they may switch at any boundary.
    "-hls_flags", "independent_segments",
    "-hls_segment_type", "mpegts",
    "-hls_segment_filename", `${dir}/seg_%05d.ts`,
    `${dir}/${playlist}`,
  ];
}

/**
 * For every video stream cut into HLS: the first picture decodes at the instant it is shown.
 * An encoder with B-frames stamps the first frame's decode time (DTS) a reorder delay (2 frames
 * for x264) before its presentation time; the muxer then shifts the whole stream so that DTS
 * starts at 0, and the first picture lands 2 frames after the sound (67 ms at 30 fps, 200 ms at
 * 10 fps). hls.js maps the earliest DTS to the timeline's zero, so its buffer of segment 0 starts
 * that late; a segment re-fetched on a level switch then adds nothing and hls.js raises
 * bufferAppendNoProgress (tolerance 50 ms). Here the first 8 packets' DTS become
 * max(DTS, first PTS + N ticks): decode order and every DTS ≤ PTS are kept (90 kHz ticks, and a
 * reorder delay under 8 frames), no DTS is negative, so the first picture and the sound both
 * start at the segment's zero. FFmpeg 5.1's setts needs `pts=PTS` said, or it rewrites PTS too.
 */
export const FIRST_PICTURE_AT_ZERO = ["-bsf:v", "setts=pts=PTS:dts=if(lt(N\\,8)\\,max(DTS\\,STARTPTS+N)\\,DTS)"];

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
