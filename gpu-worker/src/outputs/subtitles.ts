/** Where the i-th converted subtitle track goes, under the attempt's HLS root. */
export const subtitleDir = (i: number) => `subs_${i + 1}`;

/** One text subtitle track to WebVTT, nothing else decoded. */
export function subtitleArgs(input: string, base: string[], stream: string, output: string): string[] {
  return [
    ...base,
    "-i", input,
    "-map", stream,
    // Text and timing kept, with italic/bold/underline as WebVTT markup; other ASS styling (fonts,
    // positions) is dropped: what every HLS player renders.
    "-c:s", "webvtt",
    "-f", "webvtt",
    "-y", output,
  ];
}

/**
 * The WebVTT file with the map from its clock to the video segments' MPEG-TS clock (RFC 8216
 * §3.5): both count from the same instant of the source, the TS one offset by the muxer's delay.
 */
export function withTimestampMap(vtt: string, mpegtsTicks: number): string {
  const [first, ...rest] = vtt.replace(/^\uFEFF/, "").split("\n");
  return [first, `X-TIMESTAMP-MAP=MPEGTS:${Math.max(0, Math.round(mpegtsTicks))},LOCAL:00:00:00.000`, ...rest].join("\n");
}

/** A VOD media playlist of one WebVTT file covering the whole item. */
export function subtitlePlaylist(uri: string, durationSeconds: number): string {
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSeconds))}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    `#EXTINF:${durationSeconds.toFixed(3)},`,
    uri,
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
}
