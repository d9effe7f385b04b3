import { z } from "zod";

/**
 * Ingest from a URL (Mux's `inputs[].url`, Cloudflare Stream's `/stream/copy`): the original is
 * pulled from a URL the creator names. Fetching a URL on the server's behalf is an SSRF door, so
 * both halves hold every URL to the same rules: `http`/`https` on their default ports, no
 * credentials, and no address in a range a public URL never needs (loopback, private,
 * link-local and cloud metadata, carrier-grade NAT, multicast, reserved). The control plane checks
 * what it can see (the URL and an IP literal in it) and answers 400 at once; the GPU worker, which
 * can resolve names, checks every address the name resolves to, connects to the address it
 * checked (no second lookup a rebinding DNS could answer differently), and checks each redirect
 * the same way. `allow` (INGEST_ALLOW_HOSTS) names hosts (and optionally ports) exempt from the
 * address and port rules: a developer's loopback server, the tests' own.
 */
export const INGEST_MAX_REDIRECTS = 3;

/** The ingest job's task: where to fetch from, at most how many bytes. */
export const ingestTask = z.object({
  kind: z.literal("ingest"),
  id: z.uuid(),
  url: z.url({ protocol: /^https?$/ }).max(2048),
  maxBytes: z.number().int().positive(),
});
export type IngestTask = z.infer<typeof ingestTask>;

/** Why a URL may not be fetched, or null. */
export function urlRefusal(raw: string, allow: readonly string[] = []): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${url.protocol} URLs are not fetched (http and https only)`;
  if (url.username || url.password) return "a URL with credentials in it is not fetched";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (allowed(allow, host, url.port)) return null;
  if (url.port !== "") return `port ${url.port} is not fetched (the scheme's default port only)`;
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return `${host} is not a public host`;
  const literal = addressRefusal(host);
  return literal;
}

/** Whether `host` (and `port`, "" for the default) is exempt: `host` or `host:port` in the list. */
export function allowed(allow: readonly string[], host: string, port: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return allow.some((entry) => {
    const e = entry.trim().toLowerCase();
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(e);
    if (!m) return false;
    return m[1] === h && (m[2] === undefined || m[2] === port);
  });
}

/** For an IP address: why a URL may not reach it, or null (a public address). A name is not judged here (null). */
export function addressRefusal(address: string): string | null {
  const v4 = parseV4(address);
  if (v4) return v4Refusal(v4, address);
  const v6 = parseV6(address);
  if (!v6) return null;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, not ::1 or ::) forms are judged as the IPv4 address.
  if (v6.slice(0, 5).every((x) => x === 0) && (v6[5] === 0xffff || (v6[5] === 0 && v6[6] !== 0))) {
    return v4Refusal([v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255], address);
  }
  const [a] = v6;
  if (v6.every((x) => x === 0)) return `${address} is the unspecified address`;
  if (v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1) return `${address} is loopback`;
  if ((a! & 0xfe00) === 0xfc00) return `${address} is a private (unique local) address`;
  if ((a! & 0xffc0) === 0xfe80) return `${address} is link-local`;
  if ((a! & 0xff00) === 0xff00) return `${address} is multicast`;
  // NAT64 (64:ff9b::/96) carries an IPv4 address: judged as that address.
  if (a === 0x64 && v6[1] === 0xff9b && v6.slice(2, 6).every((x) => x === 0)) return v4Refusal([v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255], address);
  return null;
}

function v4Refusal([a, b, c]: number[], shown: string): string | null {
  if (a === 0) return `${shown} is in 0.0.0.0/8 (this network)`;
  if (a === 127) return `${shown} is loopback`;
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return `${shown} is a private address`;
  if (a === 169 && b === 254) return `${shown} is link-local (cloud metadata lives here)`;
  if (a === 100 && b! >= 64 && b! <= 127) return `${shown} is carrier-grade NAT space`;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return `${shown} is reserved`;
  if ((a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return `${shown} is reserved for tests and benchmarks`;
  if (a! >= 224) return `${shown} is multicast or reserved`;
  return null;
}

function parseV4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Eight 16-bit groups, or null; an embedded dotted IPv4 tail is accepted. */
function parseV6(s: string): number[] | null {
  if (!s.includes(":")) return null;
  let text = s.split("%")[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = parseV4(tail[1]!);
    if (!v4) return null;
    text = text.slice(0, -tail[1]!.length) + `${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...rest];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}
