import { timingSafeEqual } from "node:crypto";
import { AwsV4Signer } from "aws4fetch";

/**
 * AWS Signature Version 4 as S3 and R2 check it, for the local S3 server: s3rver 3.7 accepts any
 * v4 signature (its own check is unimplemented) and anonymous requests, so without this no local
 * test could show that a presigned URL binds what it says it binds. Every request is signed in
 * its Authorization header or in its query (a presigned URL), by a known key, within its time,
 * over exactly the headers it names (a part URL names its Content-Length). The canonical request
 * is rebuilt with aws4fetch's own signer, the one every client here signs with.
 */
export interface SignedRequest {
  method: string;
  /** Absolute: scheme, the Host header, and the request target exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict = { ok: true; accessKeyId: string } | { ok: false; status: 400 | 403; code: string; message: string };

/** A header-signed request may be this far from the server's clock (S3's own allowance). */
const MAX_SKEW_MS = 15 * 60_000;
/** A presigned URL lives at most a week (S3's limit). */
const MAX_EXPIRES_SECONDS = 7 * 86_400;

const refuse = (status: 400 | 403, code: string, message: string): Verdict => ({ ok: false, status, code, message });

export async function verifySigV4(req: SignedRequest, secrets: Readonly<Record<string, string>>, now = Date.now()): Promise<Verdict> {
  const url = new URL(req.url);
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(",") : v;
  };
  const q = url.searchParams;
  let fields: { credential: string; signedHeaders: string; signature: string; datetime: string } | null = null;
  const presigned = q.has("X-Amz-Signature");
  if (presigned) {
    if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
    fields = { credential: q.get("X-Amz-Credential") ?? "", signedHeaders: q.get("X-Amz-SignedHeaders") ?? "", signature: q.get("X-Amz-Signature") ?? "", datetime: q.get("X-Amz-Date") ?? "" };
  } else {
    const auth = header("authorization");
    if (!auth) return refuse(403, "AccessDenied", "Anonymous access is not allowed: sign the request (SigV4)");
    const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(auth.trim());
    if (!m) return refuse(400, "AuthorizationHeaderMalformed", "The Authorization header is not a SigV4 one");
    fields = { credential: m[1]!, signedHeaders: m[2]!, signature: m[3]!, datetime: header("x-amz-date") ?? "" };
  }
  const [accessKeyId = "", day = "", region = "", service = "", terminal = ""] = fields.credential.split("/");
  const secret = Object.hasOwn(secrets, accessKeyId) ? secrets[accessKeyId] : undefined;
  if (secret === undefined) return refuse(403, "InvalidAccessKeyId", "The access key id is not one this server knows");
  const at = parseAmzDate(fields.datetime);
  if (at === null || service !== "s3" || terminal !== "aws4_request" || !fields.datetime.startsWith(day)) return refuse(400, "AuthorizationHeaderMalformed", "The credential scope or date is malformed");
  if (presigned) {
    const expires = Number(q.get("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds");
    if (now > at + expires * 1000) return refuse(403, "AccessDenied", "Request has expired");
  } else if (Math.abs(now - at) > MAX_SKEW_MS) {
    return refuse(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large");
  }

  // Exactly the headers the signature names, with the values this request carries.
  const names = fields.signedHeaders.split(";");
  if (!names.includes("host")) return refuse(403, "AccessDenied", "The signature must cover the Host header");
  const headers: Record<string, string> = {};
  for (const name of names) {
    if (name === "host") continue;
    const value = header(name);
    if (value === undefined) return refuse(403, "SignatureDoesNotMatch", `The signed header ${name} is missing from the request`);
    headers[name] = value;
  }
  const unsigned = new URL(url);
  unsigned.searchParams.delete("X-Amz-Signature");
  const signer = new AwsV4Signer({
    method: req.method,
    url: unsigned.toString(),
    headers,
    accessKeyId,
    secretAccessKey: secret,
    service: "s3",
    region,
    datetime: fields.datetime,
    signQuery: presigned,
    allHeaders: true,
  });
  const expected = await signer.signature();
  if (signer.signedHeaders !== fields.signedHeaders || !sameHex(expected, fields.signature)) {
    return refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided");
  }
  return { ok: true, accessKeyId };
}

/** "20261206T124500Z" → ms since the epoch; null when malformed. */
function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
