import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import { callbackPayload } from "../contract/index.ts";
import { redeliverBody } from "../routes/admin.ts";
import { listQuery } from "../http/media-page.ts";
import { playbackTokenBody } from "../http/playback-grant.ts";
import { downloadsBody, ingestBody, partsBody, registerBody, thumbnailBody } from "../routes/media.ts";
import { clipBody } from "../routes/clips.ts";
import { callbackAnswer, deliveryLog, errorEnvelope, mediaPage, mediaStatus, partUrls, playbackToken, registered, registeredFromUrl, uploadInfo } from "./schemas.ts";

/**
 * Every route the Worker serves, described with the schemas it validates with (request bodies
 * and queries come from src/routes/ and src/http/) and the shapes it answers (./schemas.ts). The document at
 * /api/openapi.json is generated from this table; a test checks that the app serves nothing the
 * table lacks.
 */
const id = z.object({ id: z.uuid().meta({ description: "The media item's id" }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const errors = (...codes: (400 | 401 | 403 | 404 | 409 | 413 | 416 | 422 | 429 | 502 | 503)[]) =>
  Object.fromEntries(codes.map((code) => [code, json(errorEnvelope, ERROR_TEXT[code])]));
const ERROR_TEXT = { 400: "Malformed request", 401: "No or bad bearer token", 403: "Not allowed for this caller", 404: "No such item (or not yours)", 409: "Not in a state that allows it", 413: "Body too large", 416: "The range is beyond the file (Content-Range says its size)", 422: "Refused (see the code)", 429: "A creator's limit; see Retry-After", 502: "A dependency refused", 503: "A dependency is unavailable; try again" };
const bearer = [{ bearer: [] }];
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });

export const ROUTES: RouteConfig[] = [
  { method: "get", path: "/health", tags: ["service"], summary: "Liveness", responses: { 200: json(z.object({ ok: z.literal(true) }), "Up") } },
  { method: "get", path: "/api/openapi.json", tags: ["service"], summary: "This document", responses: { 200: { description: "OpenAPI 3.1" } } },
  { method: "get", path: "/api/docs", tags: ["service"], summary: "The reference page for this document", responses: { 200: { description: "HTML" } } },

  { method: "post", path: "/api/media", tags: ["media"], summary: "Register an item and open its resumable upload, or (with `url`) have its original copied from a URL", security: bearer, request: body(z.union([registerBody, ingestBody])), responses: { 201: json(z.union([registered, registeredFromUrl]), "Registered; upload its parts, or watch its copy (`ingest` in the status)"), ...errors(400, 401, 403, 413, 429, 503) } },
  { method: "get", path: "/api/media", tags: ["media"], summary: "List items, newest first (a creator's own; an administrator's: all)", security: bearer, request: { query: listQuery }, responses: { 200: json(mediaPage, "A page"), ...errors(400, 401, 403, 503) } },
  { method: "delete", path: "/api/media/{id}", tags: ["media"], summary: "Delete an item: cancel its job, remove every file, 404 from then on (its owner or an administrator; not the service token)", security: bearer, request: { params: id }, responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 503) } },
  { method: "post", path: "/api/media/{id}/upload", tags: ["uploads"], summary: "Open the item's upload again (after its TTL or a refused completion), or answer the open one", security: bearer, request: { params: id }, responses: { 200: json(uploadInfo, "The upload"), ...errors(400, 401, 404, 409, 503) } },
  { method: "get", path: "/api/media/{id}/upload", tags: ["uploads"], summary: "The open upload and the parts storage holds (to resume)", security: bearer, request: { params: id }, responses: { 200: json(uploadInfo, "The upload with its parts"), ...errors(400, 401, 404, 409, 503) } },
  { method: "post", path: "/api/media/{id}/upload/parts", tags: ["uploads"], summary: "Presigned PUT URLs for up to 100 parts", security: bearer, request: { params: id, ...body(partsBody) }, responses: { 200: json(partUrls, "One URL per part"), ...errors(400, 401, 404, 409, 413, 503) } },
  { method: "post", path: "/api/media/{id}/upload-complete", tags: ["uploads"], summary: "Complete the upload: parts, size and first bytes are checked", security: bearer, request: { params: id }, responses: { 200: json(mediaStatus, "Uploaded"), ...errors(400, 401, 404, 409, 422, 503) } },
  { method: "post", path: "/api/media/{id}/transcode", tags: ["media"], summary: "Start transcoding", security: bearer, request: { params: id }, responses: { 202: json(mediaStatus, "Transcoding"), ...errors(400, 401, 404, 409, 422, 429, 502, 503) } },
  { method: "post", path: "/api/media/{id}/retry-transcoding", tags: ["media"], summary: "The one retry of a failed item", security: bearer, request: { params: id }, responses: { 202: json(mediaStatus, "Transcoding again"), ...errors(400, 401, 404, 422, 429, 502, 503) } },
  { method: "post", path: "/api/media/{id}/cancel-transcoding", tags: ["media"], summary: "Cancel a job in flight (administrators)", security: bearer, request: { params: id }, responses: { 200: json(mediaStatus, "Cancelled"), ...errors(400, 401, 403, 404, 409, 503) } },
  { method: "post", path: "/api/media/{id}/clips", tags: ["media"], summary: "Cut a clip of a ready item: a new item (the source's creator's), its original the frame-accurate cut, transcoded like any upload", security: bearer, request: { params: id, ...body(clipBody) }, responses: { 201: json(mediaStatus, "The clip, transcoding (or uploaded, if the creator's job limits refused its trigger)"), ...errors(400, 401, 403, 404, 409, 413, 422, 429, 503) } },
  { method: "post", path: "/api/media/{id}/thumbnail", tags: ["media"], summary: "A new poster frame for a ready item: a small job makes it (the item stays ready); media.updated when it is in", security: bearer, request: { params: id, ...body(thumbnailBody) }, responses: { 202: json(mediaStatus, "Asked for: touchUp says how it goes"), ...errors(400, 401, 404, 409, 413, 503) } },
  { method: "post", path: "/api/media/{id}/downloads", tags: ["media"], summary: "MP4/M4A downloads for a ready item, remuxed from its segments by a small job; media.updated when they are in", security: bearer, request: { params: id, ...body(downloadsBody) }, responses: { 202: json(mediaStatus, "Asked for: touchUp says how it goes"), ...errors(400, 401, 404, 409, 413, 503) } },
  { method: "get", path: "/api/media/{id}/transcoding-status", tags: ["media"], summary: "The item's status", security: bearer, request: { params: id }, responses: { 200: json(mediaStatus, "Status"), ...errors(400, 401, 404, 503) } },
  { method: "post", path: "/api/media/{id}/playback-token", tags: ["playback"], summary: "A short-lived signed playback token for viewers", security: bearer, request: { params: id, body: { required: false, content: { "application/json": { schema: playbackTokenBody } } } }, responses: { 201: json(playbackToken, "Token and URLs"), ...errors(400, 401, 404, 413, 503) } },
  { method: "get", path: "/play/{token}/{path}", tags: ["playback"], summary: "The item's HLS tree, preview, stills and downloads for a viewer's token", request: { params: z.object({ token: z.string(), path: z.string().meta({ description: "master.m3u8, a rung's playlist or segment, preview/…, thumbnail.jpg, storyboard.vtt|jpg, waveform.json|png, download/{name} (1080p.mp4 … 360p.mp4, audio.m4a: saved as an attachment, byte ranges)" }) }) }, responses: { 200: { description: "The file (playlists rewritten to carry the token)" }, 206: { description: "A byte range" }, ...errors(400, 403, 404, 416, 502, 503) } },

  { method: "post", path: "/api/transcoding/webhook", tags: ["gpu worker"], summary: "Signed callbacks of the GPU worker (HMAC, design.md §3)", request: body(callbackPayload), responses: { 200: json(callbackAnswer, "Acknowledged"), ...errors(400, 401, 413) } },

  { method: "get", path: "/api/admin/overview", tags: ["admin"], summary: "The dashboard's figures", security: bearer, responses: { 200: { description: "Counts, jobs in flight, failures, creators against their limits" }, ...errors(401, 403, 503) } },
  { method: "get", path: "/api/admin/media/{id}", tags: ["admin"], summary: "One item's row", security: bearer, request: { params: id }, responses: { 200: { description: "The row" }, ...errors(400, 401, 403, 404, 503) } },
  { method: "get", path: "/api/admin/media/{id}/webhooks", tags: ["admin"], summary: "The item's outbound webhook deliveries", security: bearer, request: { params: id }, responses: { 200: json(deliveryLog, "Queued, then settled (newest first)"), ...errors(400, 401, 403, 404) } },
  { method: "post", path: "/api/admin/media/{id}/webhooks/{messageId}/redeliver", tags: ["admin"], summary: "Send a logged message again, same webhook-id", security: bearer, request: { params: id.extend({ messageId: z.string().regex(/^msg_[0-9a-f]{32}$/) }), body: { required: false, content: { "application/json": { schema: redeliverBody } } } }, responses: { 202: json(z.object({ queued: z.literal(true), messageId: z.string() }), "Queued"), ...errors(400, 401, 403, 404, 413) } },
  { method: "get", path: "/api/admin/media/{id}/files/{path}", tags: ["admin"], summary: "An item's files for administrators", security: bearer, request: { params: id.extend({ path: z.string() }) }, responses: { 200: { description: "The file" }, 206: { description: "A byte range" }, ...errors(400, 401, 403, 404, 416, 502, 503) } },
];

export function openApiDocument(serverUrl: string) {
  const docs = new OpenAPIHono();
  docs.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT from the identity service (HS256, iss/aud/exp), or the service token" });
  for (const route of ROUTES) docs.openAPIRegistry.registerPath(route);
  return docs.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Media transcoder",
      version: "1.0.0",
      description: "Uploads in resumable parts, HLS transcoding on RunPod, signed playback for viewers, Standard Webhooks to the platform (see README: Outbound webhooks).",
    },
    servers: [{ url: serverUrl }],
  });
}
