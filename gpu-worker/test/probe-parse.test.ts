import { describe, expect, it } from "vitest";
import { PipelineError } from "../src/errors.ts";
import { admit } from "../src/probe/admit.ts";
import { parseProbe, type ProbeJson } from "../src/probe/parse.ts";

/** ffprobe's JSON as it prints it for these shapes (trimmed to the fields that are read). */
const h264 = { index: 0, codec_type: "video", codec_name: "h264", width: 1920, height: 1080, pix_fmt: "yuv420p", avg_frame_rate: "30/1", r_frame_rate: "30/1", duration: "12.000000", start_time: "0.000000" };
const aac = { index: 1, codec_type: "audio", codec_name: "aac", channels: 2, channel_layout: "stereo", sample_rate: "48000", duration: "12.0" };
const mp4 = (streams: Record<string, unknown>[], format: Record<string, unknown> = {}): ProbeJson => ({ format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "12.000000", start_time: "0.000000", ...format }, streams });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof PipelineError ? e.code : String(e);
  }
  return null;
};

describe("parseProbe reads ffprobe's JSON without FFmpeg", () => {
  it("no streams at all: nothing to encode, refused as NO_MEDIA_STREAMS", () => {
    const p = parseProbe(mp4([]));
    expect(p).toMatchObject({ video: null, audio: null, audioTracks: [], subtitleTracks: [] });
    expect(refusal(() => admit(p, { maxDurationSeconds: 3600 }))).toBe("NO_MEDIA_STREAMS");
  });
  it("no format section and no streams: duration 0, nothing else invented", () => {
    expect(parseProbe({})).toMatchObject({ formatName: "", durationSeconds: 0, video: null, audio: null, stillImage: false });
  });
  it("an attached picture (cover art) is not the video: an M4A with cover is audio", () => {
    const cover = { index: 0, codec_type: "video", codec_name: "mjpeg", width: 600, height: 600, disposition: { attached_pic: 1 } };
    const p = parseProbe(mp4([cover, { ...aac, index: 1 }]));
    expect(p.video).toBeNull();
    expect(p.audio).toMatchObject({ stream: "0:1", codec: "aac", channels: 2 });
  });
  it("a display matrix of -90° is rotation 270 and swaps the displayed size; tags.rotate is read too", () => {
    const phone = { ...h264, side_data_list: [{ side_data_type: "Display Matrix", rotation: -90 }] };
    expect(parseProbe(mp4([phone])).video).toMatchObject({ rotation: 270, displayWidth: 1080, displayHeight: 1920 });
    expect(parseProbe(mp4([{ ...h264, tags: { rotate: "180" } }])).video).toMatchObject({ rotation: 180, displayWidth: 1920, displayHeight: 1080 });
  });
  it("HDR10 (PQ) and HLG are HDR with their bit depth; BT.709 is not", () => {
    const pq = { ...h264, codec_name: "hevc", pix_fmt: "yuv420p10le", color_transfer: "smpte2084" };
    expect(parseProbe(mp4([pq])).video).toMatchObject({ hdr: true, bitDepth: 10, colorTransfer: "smpte2084" });
    expect(parseProbe(mp4([{ ...pq, color_transfer: "arib-std-b67" }])).video).toMatchObject({ hdr: true });
    expect(parseProbe(mp4([{ ...h264, color_transfer: "bt709" }])).video).toMatchObject({ hdr: false, bitDepth: 8 });
  });
  it("anamorphic PAL is widened to square pixels; a variable frame rate is flagged", () => {
    const pal = { ...h264, width: 720, height: 576, sample_aspect_ratio: "64:45", avg_frame_rate: "25/1", r_frame_rate: "25/1" };
    expect(parseProbe(mp4([pal])).video).toMatchObject({ sar: 64 / 45, displayWidth: 1024, displayHeight: 576 });
    expect(parseProbe(mp4([{ ...h264, avg_frame_rate: "2997/100", r_frame_rate: "60/1" }])).video).toMatchObject({ variableFrameRate: true, nominalFps: 60 });
  });
  it("Matroska's per-stream DURATION tag is the video's length; the default audio track comes first", () => {
    const mkv = { ...h264, duration: undefined, tags: { DURATION: "00:00:05.040000000" } };
    const en = { ...aac, index: 1, tags: { language: "eng" } };
    const fr = { ...aac, index: 2, tags: { language: "fre", title: "Français" }, disposition: { default: 1 } };
    const p = parseProbe({ format: { format_name: "matroska,webm", duration: "5.1" }, streams: [mkv, en, fr] });
    expect(p.video?.durationSeconds).toBe(5.04);
    expect(p.audioTracks.map((t) => [t.stream, t.language, t.default])).toEqual([["0:2", "fre", true], ["0:1", "eng", false]]);
  });
  it("a single JPEG is a still image: refused as NOT_A_VIDEO unless it has sound", () => {
    const jpeg = { index: 0, codec_type: "video", codec_name: "mjpeg", width: 800, height: 600, nb_frames: "1" };
    const p = parseProbe({ format: { format_name: "image2", duration: "0.04" }, streams: [jpeg] });
    expect(p.stillImage).toBe(true);
    expect(refusal(() => admit(p, { maxDurationSeconds: 3600 }))).toBe("NOT_A_VIDEO");
  });
});

describe("admit judges the probe against the limits", () => {
  it("too many pixels, too long, unreadable duration, no frame size", () => {
    expect(refusal(() => admit(parseProbe(mp4([{ ...h264, width: 8000, height: 6000 }])), { maxDurationSeconds: 3600 }))).toBe("INPUT_TOO_LARGE");
    expect(refusal(() => admit(parseProbe(mp4([h264])), { maxDurationSeconds: 10 }))).toBe("INPUT_TOO_LONG");
    expect(refusal(() => admit(parseProbe(mp4([{ ...h264, duration: undefined }], { duration: undefined })), { maxDurationSeconds: 3600 }))).toBe("INPUT_UNREADABLE");
    expect(refusal(() => admit(parseProbe(mp4([{ ...h264, width: undefined }])), { maxDurationSeconds: 3600 }))).toBe("INPUT_UNREADABLE");
  });
  it("a readable file is the media's facts with the demuxer every later command is held to", () => {
    expect(admit(parseProbe(mp4([h264, aac])), { maxDurationSeconds: 3600 })).toMatchObject({ durationSeconds: 12, demuxer: "mov", video: { stream: "0:0" }, audio: { stream: "0:1" } });
  });
});
