import type { Rung, VideoPlan } from "../plan.ts";
import { cpuSourceFilters, type VideoEncoder } from "./types.ts";

/** libx264 on the CPU: the fallback wherever NVENC cannot open a session. */
export const x264: VideoEncoder = {
  name: "libx264",
  decodeArgs: () => [],
  sourceFilters: cpuSourceFilters,
  toCpu: [],
  scaleFilter: (rung) => `scale=${rung.width}:${rung.height}:flags=bicubic,setsar=1`,
  encodeArgs(rung: Rung, plan: VideoPlan): string[] {
    return [
      "-c:v", "libx264",
      // superfast: the CPU path must keep up with realtime on small machines. bench/video (20 s 1080p,
      // 2 cores): 1080p SSIM 0.983 vs 0.984 for veryfast, at 1.17× vs 0.84× realtime.
      "-preset", "superfast",
      // High profile at an explicit level, so the master's CODECS attribute is exact.
      "-profile:v", "high",
      "-level:v", rung.level,
      // Target bitrate with a capped peak and a 2 s buffer: steady segment sizes for ABR.
      "-b:v", `${rung.videoKbps}k`,
      "-maxrate", `${rung.maxrateKbps}k`,
      "-bufsize", `${rung.bufsizeKbps}k`,
      // Fixed 2 s GOPs and no scene-cut keyframes: every rung has keyframes at the same instants.
      "-g", String(plan.gop),
      "-keyint_min", String(plan.gop),
      "-sc_threshold", "0",
      // Closed GOPs so each segment decodes on its own.
      "-flags", "+cgop",
    ];
  },
};
