import { PROBE_WHITELIST } from "../containers.ts";
import { inputLimits } from "../ffmpeg/spawn.ts";

/** ffprobe's look at an original: format and every stream, as JSON. */
export function probeArgs(input: string): string[] {
  return [
    "-v", "error",
    // Local files only, and a bounded look at the header (the limits every FFmpeg input has).
    ...inputLimits(),
    // Real media containers only (and single images, to be named as such): no demuxer that opens other files.
    "-format_whitelist", PROBE_WHITELIST,
    "-print_format", "json",
    "-show_format",
    "-show_streams",
    input,
  ];
}

/** Where the first video frame of one of our own segments sits on its clock (`start_time`, one number per line). */
export function videoStartArgs(file: string): string[] {
  return [
    "-v", "error",
    ...inputLimits(),
    // The first video stream only, its start time only, no header line.
    "-select_streams", "v:0",
    "-show_entries", "stream=start_time",
    "-of", "csv=p=0",
    file,
  ];
}
