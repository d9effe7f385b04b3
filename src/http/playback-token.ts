import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Config } from "../config.ts";
import { AppError } from "./errors.ts";

/**
 * Signed playback tokens, as Mux's signed playback ids and Cloudflare Stream's signed URLs are:
 * an HS256 JWT whose `sub` is the one media item it opens, with `aud` "playback" and an `exp`,
 * optionally naming the viewer. Its key is the Worker's own (PLAYBACK_SIGNING_SECRET), never
 * the identity service's: an API token is never a playback token, nor the other way round.
 */
const AUDIENCE = "playback";
const ISSUER = "media-transcoder";
const encoder = new TextEncoder();
const claims = z.object({ sub: z.uuid(), exp: z.number(), viewer: z.string().max(128).optional() });

export interface PlaybackGrant {
  mediaId: string;
  expiresAt: number;
  viewerId: string | null;
}

export async function signPlaybackToken(secret: string, grant: PlaybackGrant): Promise<string> {
  const jwt = new SignJWT(grant.viewerId ? { viewer: grant.viewerId } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(grant.mediaId)
    .setAudience(AUDIENCE)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(grant.expiresAt / 1000));
  return jwt.sign(encoder.encode(secret));
}

/** The grant a token carries, or null for anything else: a bad signature, another key, expired, malformed. */
export async function verifyPlaybackToken(secret: string, token: string): Promise<PlaybackGrant | null> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ["HS256"], audience: AUDIENCE, issuer: ISSUER, requiredClaims: ["exp", "sub"] });
    const c = claims.parse(payload);
    return { mediaId: c.sub, expiresAt: c.exp * 1000, viewerId: c.viewer ?? null };
  } catch {
    return null;
  }
}

/** The signing key, or 503: playback is off where the Worker has none. */
export function playbackSecret(config: Config): string {
  if (!config.playbackSigningSecret) throw new AppError(503, "UNAVAILABLE", "Playback is not configured (PLAYBACK_SIGNING_SECRET)");
  return config.playbackSigningSecret;
}

/** A token for one item, for `lifeSeconds`, optionally naming the viewer; its expiry to the second. */
export async function mintPlaybackToken(config: Config, mediaId: string, lifeSeconds: number, viewerId: string | null): Promise<{ token: string; expiresAt: string }> {
  const expiresAt = Math.floor((Date.now() + lifeSeconds * 1000) / 1000) * 1000;
  const token = await signPlaybackToken(playbackSecret(config), { mediaId, expiresAt, viewerId });
  return { token, expiresAt: new Date(expiresAt).toISOString() };
}
