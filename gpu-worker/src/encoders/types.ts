import type { Rung, VideoPlan } from "../plan.ts";

/** One H.264 encoder: how frames get to it and which flags drive it. Pure: no I/O. */
export interface VideoEncoder {
  name: "libx264" | "h264_nvenc";
  /** Input-side flags (hardware decode), placed before `-i`. */
  decodeArgs(plan: VideoPlan): string[];
  /** Filters applied once to the decoded source, before the split into rungs. */
  sourceFilters(plan: VideoPlan): string[];
  /** The per-rung scale filter. */
  scaleFilter(rung: Rung): string;
  /** Filters that bring a prepared frame back to system memory (for the storyboard's few frames). */
  toCpu: string[];
  /** Encoder flags for one output (each rung is its own HLS output, so no stream specifiers). */
  encodeArgs(rung: Rung, plan: VideoPlan): string[];
}

export const DEINTERLACE_CPU = "bwdif=mode=send_frame:parity=auto:deint=all";

/** CPU filters that make any source 8-bit SDR 4:2:0 at a constant rate. */
export function cpuSourceFilters(plan: VideoPlan): string[] {
  const filters: string[] = [];
  // Interlaced: bwdif, one progressive frame per frame (the rate stays), both field orders found
  // by the frame's own flags; first, so that nothing after it sees combing.
  if (plan.deinterlace) filters.push(DEINTERLACE_CPU);
  filters.push(`fps=${plan.fps}`);
  if (plan.toneMap) {
    // PQ/HLG → linear light → BT.709 primaries → Hable tone curve → BT.709 limited-range 8-bit.
    filters.push(
      "zscale=t=linear:npl=100",
      "format=gbrpf32le",
      "zscale=p=bt709",
      "tonemap=tonemap=hable:desat=0",
      "zscale=t=bt709:m=bt709:r=tv",
    );
  }
  filters.push("format=yuv420p");
  return filters;
}
