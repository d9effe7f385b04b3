import { z } from "zod";
import { downloadsRequest } from "./downloads.ts";
import { fanoutPolicy, jobTask } from "./fanout.ts";
import { RENDITION_NAMES, renditionName, type RenditionName } from "./renditions.ts";

export * from "./renditions.ts";

/** The knobs a job may omit, with the values both halves use when it does. */
export const JOB_DEFAULTS = {
  renditions: [...RENDITION_NAMES] as RenditionName[],
  segmentSeconds: 6,
  previewSeconds: 30,
  loudnessTarget: { integrated: -16, truePeak: -1.5 },
};

export const mediaType = z.enum(["video", "audio"]);
export type MediaType = z.infer<typeof mediaType>;

/** Whether `key` names one file directly in the item's originals folder (no separators, no dot segments, no control bytes). */
export function isOriginalOf(key: string, creatorId: string, mediaId: string): boolean {
  const prefix = `${creatorId}/originals/${mediaId}/`;
  if (!key.startsWith(prefix)) return false;
  const name = key.slice(prefix.length);
  return name.length > 0 && name !== "." && name !== ".." && !/[/\\\u0000-\u001f\u007f]/.test(name);
}

/**
 * A clip (POST /api/media/:id/clips): the item's original is cut, frame-accurately, from another
 * item's original, the source, of the same creator. The job makes the cut and stores it as this
 * item's original (then transcodes it as any upload); once it is there, later attempts use it.
 */
export const clipSource = z.object({
  sourceMediaId: z.uuid(),
  sourceKey: z.string().min(1).max(500),
  startSeconds: z.number().min(0).max(7 * 86_400),
  endSeconds: z.number().min(0).max(7 * 86_400),
});
export type ClipSource = z.infer<typeof clipSource>;
/** The shortest clip: a segment's worth would do, but one second is what a platform would offer. */
export const MIN_CLIP_SECONDS = 1;

/** The job the control plane sends through RunPod's `/run` to the GPU worker (design.md §2). */
export const jobInput = z.object({
  contractVersion: z.literal(1),
  mediaId: z.uuid(),
  creatorId: z.uuid(),
  mediaType,
  attemptId: z.uuid(),
  inputKey: z.string().min(1).max(500),
  webhookUrl: z.url({ protocol: /^https?$/ }),
  renditions: z.array(renditionName).min(1).default(() => [...JOB_DEFAULTS.renditions]),
  segmentSeconds: z.number().min(2).max(10).default(JOB_DEFAULTS.segmentSeconds),
  previewSeconds: z.number().min(5).max(60).default(JOB_DEFAULTS.previewSeconds),
  loudnessTarget: z
    .object({ integrated: z.number().min(-40).max(-5), truePeak: z.number().min(-9).max(0) })
    .default(() => ({ ...JOB_DEFAULTS.loudnessTarget })),
  /** False: every track keeps its own level instead of being brought to `loudnessTarget` (still measured and reported). */
  normalizeAudio: z.boolean().default(true),
  /** MP4/M4A downloads to make from the encoded segments (absent: none). */
  downloads: downloadsRequest.optional(),
  /** A clip's source and range (absent: the item's original was uploaded). */
  clip: clipSource.optional(),
  /** The poster frame chosen at registration, seconds from the start (clamped to the last frame); absent: 10 % of the video. */
  thumbnailSeconds: z.number().min(0).max(24 * 3600).optional(),
  /**
   * The item's first job only: a video at least this long is split across workers
   * (gpu-worker/src/fanout/). Absent: the job encodes the whole video itself.
   */
  fanout: fanoutPolicy.optional(),
  /** A chunk or stitch job of a split video; absent for the item's first (whole-file) job. */
  task: jobTask.optional(),
})
  // A job may read only its own item's original: one file name under {creatorId}/originals/{mediaId}/.
  .refine((j) => isOriginalOf(j.inputKey, j.creatorId, j.mediaId), {
    message: "inputKey must be one file under {creatorId}/originals/{mediaId}/",
    path: ["inputKey"],
  })
  // A clip reads one more file: its source's original, of the same creator, never this item's own folder or another creator's.
  .refine((j) => !j.clip || (j.clip.sourceMediaId !== j.mediaId && isOriginalOf(j.clip.sourceKey, j.creatorId, j.clip.sourceMediaId)), {
    message: "clip.sourceKey must be one file under {creatorId}/originals/{clip.sourceMediaId}/",
    path: ["clip", "sourceKey"],
  })
  .refine((j) => !j.clip || j.clip.endSeconds - j.clip.startSeconds >= MIN_CLIP_SECONDS, { message: `a clip is at least ${MIN_CLIP_SECONDS} s long`, path: ["clip", "endSeconds"] });
export type JobInput = z.infer<typeof jobInput>;
/** What the control plane may omit when building a job: the knobs have defaults. */
export type JobInputDraft = z.input<typeof jobInput>;
