import { env } from "cloudflare:test";
import { uploadAll } from "../../../dev/multipart-client.ts";
import { api, apiAs, tokenFor, uuid } from "./api.ts";
import { payloadFor, sendCallback, videoOutput } from "./callbacks.ts";
import type { FakeRunpod } from "./runpod.ts";

/** Items taken to a state through the API, as a creator would. */
/** 11 bytes that open like an MP4 (an `ftyp` box): what the upload's first-bytes check accepts. */
export const SMALL_MP4 = new TextEncoder().encode("\u0000\u0000\u0000\u0018ftypiso");

/** Registers an item, uploads its bytes in one part to s3rver (the multipart API), and completes. */
export async function uploadedItem(creatorId: string, mediaType: "video" | "audio" = "video", opts: { skipUpload?: boolean; register?: Record<string, unknown> } = {}) {
  const token = await tokenFor(creatorId);
  const reg = await api("POST", "/api/media", {
    token,
    body: { mediaType, filename: mediaType === "video" ? "clip one.mp4" : "voice.m4a", size: 11, contentType: `${mediaType}/mp4`, ...opts.register },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const id: string = reg.body.id;
  if (!opts.skipUpload) {
    const done = await uploadAll(apiAs(token), id, async () => SMALL_MP4);
    if (done.status !== 200) throw new Error(`upload-complete: ${done.status} ${JSON.stringify(done.body)}`);
  }
  return { id, token, creatorId, mediaType };
}

/** An uploaded item triggered into `transcoding`, with the job the fake RunPod received. */
export async function transcodingItem(runpod: FakeRunpod, creatorId = uuid()) {
  const item = await uploadedItem(creatorId);
  await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
  return { item, job: runpod.lastJob() };
}

/** An item taken through upload, trigger, three progress reports and completion. */
export async function readyItem(runpod: FakeRunpod, creatorId = uuid()) {
  const { item, job } = await transcodingItem(runpod, creatorId);
  for (const percent of [10, 50, 90]) await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent }));
  await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
  return { item, job };
}

/** The real 1 MB MP4 that global setup made with FFmpeg. */
export async function uploadFixture(): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(`${env.CONTROL_URL}/fixture/clip.mp4`)).arrayBuffer());
}

/** Registers an item declaring `size` bytes (the fixture's unless told) and answers its id and upload. */
export async function registered(token: string, size: number, filename = "clip.mp4", mediaType: "video" | "audio" = "video") {
  const reg = await api("POST", "/api/media", { token, body: { mediaType, filename, size, contentType: `${mediaType}/mp4` } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  return reg.body as { id: string; upload: { uploadId: string; partSize: number; partCount: number; size: number; expiresAt: string } };
}
