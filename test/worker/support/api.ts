import { env, SELF } from "cloudflare:test";
import { SignJWT } from "jose";
import type { ApiCall } from "../../../dev/multipart-client.ts";

/** The Worker's HTTP API as a client sees it, with the identity service's tokens. */
export const uuid = () => crypto.randomUUID();

export interface TokenClaims {
  secret?: string;
  iss?: string | null;
  aud?: string | null;
  /** Seconds from now; null leaves `exp` out. */
  expiresIn?: number | null;
}

/** A bearer JWT as the identity service issues them (iss/aud from wrangler.toml, an hour's life). */
export async function tokenFor(sub: string, role: "creator" | "admin" = "creator", claims: TokenClaims = {}): Promise<string> {
  const jwt = new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt();
  const iss = claims.iss === undefined ? env.JWT_ISSUER : claims.iss;
  const aud = claims.aud === undefined ? env.JWT_AUDIENCE : claims.aud;
  const expiresIn = claims.expiresIn === undefined ? 3600 : claims.expiresIn;
  if (iss !== null) jwt.setIssuer(iss);
  if (aud !== null) jwt.setAudience(aud);
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return jwt.sign(new TextEncoder().encode(claims.secret ?? env.JWT_SECRET));
}
export const adminToken = () => tokenFor(uuid(), "admin");

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  const res = await SELF.fetch(`http://control.test${path}`, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** The API for the multipart client, as this token. */
export const apiAs = (token: string): ApiCall => (method, path, body) => api(method, path, { token, body });

/** The item's status as its owner sees it. */
export const statusOf = async (item: { id: string; token: string }) =>
  (await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body;
