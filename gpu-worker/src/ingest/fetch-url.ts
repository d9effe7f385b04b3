import { createWriteStream } from "node:fs";
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { addressRefusal, allowed, INGEST_MAX_REDIRECTS, urlRefusal } from "../../../src/contract/index.ts";
import { PipelineError } from "../errors.ts";

export interface Resolved {
  address: string;
  family: number;
}

export interface FetchUrlOptions {
  /** INGEST_ALLOW_HOSTS: `host` or `host:port` exempt from the address and port rules. */
  allow: readonly string[];
  maxBytes: number;
  /** The whole copy's time, redirects included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Every address a name resolves to (default: the system's resolver, all of them). */
  resolve?: (host: string) => Promise<Resolved[]>;
  onProgress?: (bytes: number, totalBytes: number | null) => void;
}

const systemResolve = async (host: string): Promise<Resolved[]> => dnsLookup(host, { all: true, verbatim: true });

/**
 * Copies a URL to `path` the way src/contract/ingest.ts says a URL may be fetched: the URL's rules,
 * then every address its name resolves to (one refused address refuses the URL: a name that
 * answers both a public and a private address is a rebinding attempt or a mistake), then a
 * connection to the address just checked (the request's own lookup is pinned to it, so nothing
 * resolves the name a second time), and each redirect (at most INGEST_MAX_REDIRECTS) the same
 * way. The body is counted as it streams: past `maxBytes` it stops. Failures are PipelineErrors
 * with the ingest's codes.
 */
export async function fetchUrlToFile(url: string, path: string, o: FetchUrlOptions): Promise<{ bytes: number; contentType: string | null; finalUrl: string }> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const resolve = o.resolve ?? systemResolve;
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const target = await checkedTarget(current, o.allow, resolve);
      const res = await get(target.url, target.pinned, signal);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop >= INGEST_MAX_REDIRECTS) throw new PipelineError("URL_REFUSED", `The URL redirected more than ${INGEST_MAX_REDIRECTS} times`, false);
        current = new URL(res.headers.location, target.url).href;
        continue;
      }
      if (status === 404 || status === 410) {
        res.resume();
        throw new PipelineError("URL_NOT_FOUND", `The URL answered ${status}: there is no file there`, false);
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new PipelineError("URL_UNREACHABLE", `The URL answered ${status}`, status >= 500 || status === 429);
      }
      const declared = Number(res.headers["content-length"]);
      const total = Number.isFinite(declared) && res.headers["content-length"] !== undefined ? declared : null;
      if (total !== null && total > o.maxBytes) {
        res.destroy();
        throw tooLarge(o.maxBytes, total);
      }
      let bytes = 0;
      let reported = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > o.maxBytes) return done(tooLarge(o.maxBytes, null));
          // About every 4 MiB: the control plane shows how far the copy is.
          if (bytes - reported >= 4 << 20) (reported = bytes), o.onProgress?.(bytes, total);
          done(null, chunk);
        },
      });
      await pipeline(res, counter, createWriteStream(path), { signal });
      o.onProgress?.(bytes, total);
      return { bytes, contentType: res.headers["content-type"] ?? null, finalUrl: target.url.href };
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    if (timeout.aborted) throw new PipelineError("URL_TIMEOUT", `The copy did not finish within ${Math.round(o.timeoutMs / 1000)} s`, true);
    if (o.signal?.aborted) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new PipelineError("URL_UNREACHABLE", `The URL could not be reached: ${e.code ?? e.message}`, true, { cause: error });
  }
}

const tooLarge = (max: number, declared: number | null) =>
  new PipelineError("INPUT_TOO_LARGE", declared === null ? `The file is larger than ${max} bytes` : `The file is ${declared} bytes, more than the ${max} allowed`, false);

/** The URL's rules, then its name's addresses: the URL and the one address to connect to. */
async function checkedTarget(raw: string, allow: readonly string[], resolve: (host: string) => Promise<Resolved[]>): Promise<{ url: URL; pinned: Resolved }> {
  const refused = urlRefusal(raw, allow);
  if (refused) throw new PipelineError("URL_REFUSED", `The URL is not fetched: ${refused}`, false);
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const family = isIP(host);
  let addresses: Resolved[];
  try {
    addresses = family ? [{ address: host, family }] : await resolve(host);
  } catch (error) {
    throw new PipelineError("URL_UNREACHABLE", `The URL's host ${host} does not resolve`, true, { cause: error });
  }
  if (!addresses.length) throw new PipelineError("URL_UNREACHABLE", `The URL's host ${host} has no address`, true);
  if (!allowed(allow, host, url.port)) {
    for (const a of addresses) {
      const why = addressRefusal(a.address);
      if (why) throw new PipelineError("URL_REFUSED", `The URL's host ${host} resolves to ${why}`, false);
    }
  }
  return { url, pinned: addresses[0]! };
}

/** One GET, connected to `pinned` whatever the name resolves to now (TLS still checks the name). */
function get(url: URL, pinned: Resolved, signal: AbortSignal): Promise<IncomingMessage> {
  const lookup: LookupFunction = (_host, options, callback) => {
    const cb = callback as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
    if ((options as { all?: boolean }).all) cb(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  };
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolveRes, reject) => {
    const req = request(url, { method: "GET", lookup, signal, headers: { "user-agent": "media-transcoder-ingest/1", accept: "*/*" } }, resolveRes);
    req.on("error", reject);
    req.end();
  });
}
