import { aacArgs, chain, hlsOutputArgs } from "./hls-args.ts";

/** Waveform image size: wide enough for a desktop player bar. */
export const WAVEFORM_IMAGE = { width: 1800, height: 280 } as const;
/** Mono PCM rate the waveform data is computed from. */
export const WAVEFORM_SAMPLE_RATE = 48000;

/**
 * The waveform, one decode: mono PCM on stdout for the data, and the PNG. It gates nothing, so
 * it runs beside the loudness measurement and the encode.
 */
export function waveformArgs(input: string, waveformPng: string, base: string[]): string[] {
  const graph = [
    "[0:a:0]asplit=2[w][p]",
    `[w]aformat=sample_fmts=s16:sample_rates=${WAVEFORM_SAMPLE_RATE}:channel_layouts=mono[wo]`,
    `[p]aformat=channel_layouts=mono,showwavespic=s=${WAVEFORM_IMAGE.width}x${WAVEFORM_IMAGE.height}:colors=0x6366f1[po]`,
  ].join(";");
  return [
    ...base,
    "-i", input,
    "-filter_complex", graph,
    // Raw 16-bit mono samples for the waveform data, streamed to the parent.
    "-map", "[wo]", "-f", "s16le", "pipe:1",
    // One picture of the whole waveform.
    "-map", "[po]", "-frames:v", "1", "-y", waveformPng,
  ];
}

/** Audio pass 2, one decode: the normalised audio HLS and its preview. */
export function audioHlsArgs(cmd: { input: string; hlsDir: string; gainFilter: string | null; segmentSeconds: number; previewSeconds: number; base: string[] }): string[] {
  const graph = [
    `[0:a:0]${chain([cmd.gainFilter, "aresample=48000", "aformat=sample_rates=48000:channel_layouts=stereo"], "anull")},asplit=2[a][p0]`,
    `[p0]atrim=duration=${cmd.previewSeconds},asetpts=PTS-STARTPTS[p]`,
  ].join(";");
  return [
    ...cmd.base,
    "-i", cmd.input,
    "-filter_complex", graph,
    "-progress", "pipe:1",
    "-nostats",
    "-map", "[a]", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/audio`, "index.m3u8", cmd.segmentSeconds),
    "-map", "[p]", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/preview`, "preview.m3u8", cmd.segmentSeconds),
  ];
}
