/**
 * HMAC-SHA256 callback signatures (design.md §3): header `t=<unix seconds>,v1=<hex>`
 * over the bytes `<t>.<raw body>`. WebCrypto only, so it runs in Workers and Node 20 alike.
 */
export const SIGNATURE_HEADER = "X-Transcode-Signature";
export const MAX_SKEW_SECONDS = 300;

const encoder = new TextEncoder();

// Spelled this way because both the Workers and the Node type sets compile this module.
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Imported keys by secret: importing costs more than the HMAC of a callback body. */
const keys = new Map<string, Promise<HmacKey>>();

function hmacKey(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    key.catch(() => keys.delete(secret));
    // Only configured secrets land here (two during a rotation); the bound is a backstop.
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

async function hmacHex(secret: string, message: Uint8Array): Promise<string> {
  const key = await hmacKey(secret);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

function signedBytes(t: number, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${t}.`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

function asBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

export async function signPayload(secret: string, body: string | Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${nowSeconds},v1=${await hmacHex(secret, signedBytes(nowSeconds, asBytes(body)))}`;
}

/** Compares two strings byte by byte without an early exit, so timing says nothing about a prefix (signatures, tokens). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

/** Accepts a signature made with any of `secrets` (two may be live during a rotation). */
export async function verifySignature(
  secrets: string[],
  header: string | null | undefined,
  body: string | Uint8Array,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureVerdict> {
  if (!header) return { ok: false, reason: "missing" };
  const parts = new Map<string, string[]>();
  for (const piece of header.split(",")) {
    const [k, v] = piece.trim().split("=", 2);
    if (!k || !v) return { ok: false, reason: "malformed" };
    parts.set(k, [...(parts.get(k) ?? []), v]);
  }
  const t = Number(parts.get("t")?.[0]);
  const candidates = (parts.get("v1") ?? []).filter((v) => /^[0-9a-f]{64}$/.test(v));
  if (!Number.isInteger(t) || candidates.length === 0) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - t) > MAX_SKEW_SECONDS) return { ok: false, reason: "stale" };
  const message = signedBytes(t, asBytes(body));
  let matched = false;
  for (const secret of secrets.filter(Boolean)) {
    const expected = await hmacHex(secret, message);
    for (const candidate of candidates) matched = constantTimeEqual(expected, candidate) || matched;
  }
  return matched ? { ok: true } : { ok: false, reason: "mismatch" };
}
