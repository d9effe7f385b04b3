import type { Rung, VideoPlan } from "../plan.ts";
import { cpuSourceFilters, type VideoEncoder } from "./types.ts";

/**
 * Frames stay on the GPU (CUDA decode → scale_cuda → NVENC) when the source needs no CPU work;
 * rotated, HDR or high-bit-depth sources are prepared on the CPU and uploaded once.
 */
export function gpuDecodable(plan: VideoPlan): boolean {
  return !plan.rotated && !plan.toneMap && !plan.toEightBit;
}

export const nvenc: VideoEncoder = {
  name: "h264_nvenc",
  decodeArgs: (plan) =>
    gpuDecodable(plan)
      ? [
          // Decode on the GPU (NVDEC) and keep the frames in GPU memory.
          "-hwaccel", "cuda",
          "-hwaccel_output_format", "cuda",
        ]
      : [],
  sourceFilters: (plan) =>
    gpuDecodable(plan)
      ? // fps only drops or repeats frames, so it works on CUDA frames; yadif_cuda deinterlaced
        // on the GPU (bwdif_cuda needs FFmpeg 6), one frame per frame as on the CPU path.
        [...(plan.deinterlace ? ["yadif_cuda=mode=send_frame:parity=auto:deint=all"] : []), `fps=${plan.fps}`]
      : // CPU preparation, then one upload; every rung scales on the GPU.
        [...cpuSourceFilters(plan), "hwupload_cuda"],
  toCpu: ["hwdownload", "format=nv12"],
  // setsar=1: the rung's size already is the display aspect (an anamorphic source's 64:45 would
  // otherwise be kept in the stream and widen the picture a second time).
  scaleFilter: (rung) => `scale_cuda=w=${rung.width}:h=${rung.height}:format=yuv420p,setsar=1`,
  encodeArgs(rung: Rung, plan: VideoPlan): string[] {
    return [
      "-c:v", "h264_nvenc",
      // p5 + hq: NVENC's quality presets cost little on the GPU.
      "-preset", "p5",
      "-tune", "hq",
      "-profile:v", "high",
      "-level:v", rung.level,
      // Variable bitrate with a capped peak and a 2 s buffer, as on the CPU path.
      "-rc", "vbr",
      "-b:v", `${rung.videoKbps}k`,
      "-maxrate", `${rung.maxrateKbps}k`,
      "-bufsize", `${rung.bufsizeKbps}k`,
      // Fixed 2 s GOPs, IDR keyframes, no scene cuts: aligned segments across rungs.
      "-g", String(plan.gop),
      "-forced-idr", "1",
      "-no-scenecut", "1",
      // Spatial adaptive quantisation and lookahead: better detail at the same bitrate.
      "-spatial-aq", "1",
      "-rc-lookahead", "20",
      "-bf", "3",
    ];
  },
};
