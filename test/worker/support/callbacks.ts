import { env, SELF } from "cloudflare:test";
import { signPayload, SIGNATURE_HEADER, type CallbackPayload, type JobInput, type JobOutput } from "../../../src/contract/index.ts";
import { uuid } from "./api.ts";

/** What the GPU worker sends: outputs under the contract's keys, signed callbacks. */
export function videoOutput(input: JobInput, overrides: Partial<JobOutput> = {}): JobOutput {
  const root = `${input.creatorId}/hls/${input.mediaId}/${input.attemptId}`;
  return {
    mediaType: input.mediaType,
    hlsMasterKey: `${root}/master.m3u8`,
    hlsPreviewKey: `${root}/preview/preview.m3u8`,
    thumbnailKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/auto-generated.jpg`,
    waveformKey: null,
    waveformImageKey: null,
    mezzanineKey: `mezzanine/${input.creatorId}/${input.mediaId}/${input.attemptId}/mezzanine.mp4`,
    storyboardKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/storyboard.jpg`,
    storyboardVttKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/storyboard.vtt`,
    durationSeconds: 20.02,
    width: 1920,
    height: 1080,
    readyVariants: ["1080p", "720p", "480p", "360p"],
    loudness: { integrated: -16.04, truePeak: -1.52, range: 4.3 },
    encoder: "libx264",
    thumbnailSeconds: 2.002,
    subtitles: [{ language: "en", name: "English", codec: "subrip", status: "converted" }],
    downloads: [],
    ...overrides,
  };
}

export function audioOutput(input: JobInput): JobOutput {
  return {
    ...videoOutput(input),
    mediaType: "audio",
    thumbnailKey: null,
    waveformKey: `${input.creatorId}/waveforms/${input.mediaId}/${input.attemptId}/waveform.json`,
    waveformImageKey: `${input.creatorId}/thumbnails/media/${input.mediaId}/${input.attemptId}/waveform.png`,
    width: null,
    height: null,
    readyVariants: ["audio"],
    encoder: null,
    thumbnailSeconds: null,
    subtitles: [],
    storyboardKey: null,
    storyboardVttKey: null,
  };
}

type Body<S extends CallbackPayload["status"]> = Omit<Extract<CallbackPayload, { status: S }>, "eventId" | "sentAt" | "mediaId" | "attemptId" | "jobId">;

export function payloadFor<S extends CallbackPayload["status"]>(job: { jobId: string; input: JobInput }, body: Body<S> & { status: S }, eventId = uuid()) {
  return {
    eventId,
    attemptId: job.input.attemptId,
    jobId: job.jobId,
    mediaId: job.input.mediaId,
    sentAt: new Date().toISOString(),
    ...body,
  } as unknown as CallbackPayload;
}

export async function sendCallback(payload: unknown, opts: { secret?: string; t?: number; signature?: string | null; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(payload);
  const signature =
    opts.signature === undefined ? await signPayload(opts.secret ?? env.RUNPOD_WEBHOOK_SECRET, raw, opts.t) : opts.signature;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  const res = await SELF.fetch("http://control.test/api/transcoding/webhook", { method: "POST", headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
