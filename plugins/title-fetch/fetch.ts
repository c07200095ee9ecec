// The guarded HTTP client: fetches a page's title without letting a job reach private addresses.
//
// Every hop (the first URL and each redirect) is checked before any connection: the scheme, then
// every address its host resolves to. The host is resolved once, and the connection goes to exactly
// the addresses that were checked (node:http's `lookup` option, which Bun honours, hands them over),
// so a DNS answer cannot change between the check and the connect (DNS rebinding). TLS still checks
// the certificate against the host name. Redirects are followed by hand, the body is read only up to
// the title or the byte limit, and one deadline covers the whole fetch.

import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import type { LookupFunction } from "node:net";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { JobError } from "../../core/runtime/errors.ts";
import { toFetchError, statusError, TitleErrorCodes } from "./errors.ts";
import { allowedSchemes, blockedRange, isIpLiteral } from "./guard.ts";
import type { ResolvedAddress, TitleFetchOptions } from "./options.ts";
import { mediaType } from "./charset.ts";
import { TitleScanner } from "./parse.ts";

/** The result of a `title` job. */
export interface TitleResult {
  /** the url as submitted */
  url: string;
  /** the URL of the page that answered, after redirects */
  final_url: string;
  /** its HTTP status */
  status: number;
  /** the page's title, whitespace collapsed; null when it has none, is not HTML, or the title is not in the first maxBytes */
  title: string | null;
  /** the answer's Content-Type header, or null */
  content_type: string | null;
  /** body bytes read (at most maxBytes: reading stops once the title is complete) */
  bytes_read: number;
}

/** Callbacks for the caller: progress and logging. */
export interface FetchHooks {
  /** cancels the fetch (the job's signal) */
  signal?: AbortSignal;
  /** called before each request, with the URL and how many redirects were followed so far */
  onRequest?(url: string, redirects: number): void;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const htmlTypes = new Set(["text/html", "application/xhtml+xml", "application/xml", "text/xml"]);

/**
 * Turns what a user submitted into the URL to fetch. A bare host ("example.com/x",
 * "localhost:8080") gets https://; an unparseable string is BAD_URL; another scheme is FETCH_BLOCKED.
 */
export function parseTargetUrl(input: string): URL {
  let s = input.trim();
  if (!s) throw new JobError(TitleErrorCodes.BAD_URL, `the url is empty: give one like "https://example.com/"`);
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[^/:?#]+:\d+(?:[/?#]|$)/.test(s);
  if (!hasScheme) s = `https://${s}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch (err) {
    throw new JobError(TitleErrorCodes.BAD_URL, `"${input}" is not a valid URL`, { cause: err });
  }
  checkScheme(url);
  if (!url.hostname) throw new JobError(TitleErrorCodes.BAD_URL, `"${input}" has no host name`);
  return url;
}

function checkScheme(url: URL): void {
  if (!allowedSchemes.has(url.protocol)) {
    throw new JobError(
      TitleErrorCodes.FETCH_BLOCKED,
      `${url.protocol} URLs are not fetched (${truncate(url.href)}): only http: and https:`,
    );
  }
}

/** Fetches a URL (following redirects) and returns its title; failures are JobErrors with stable codes. */
export async function fetchTitle(input: string, opts: TitleFetchOptions, hooks: FetchHooks = {}): Promise<TitleResult> {
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new JobError(TitleErrorCodes.FETCH_TIMEOUT, `${truncate(input)}: no title within ${opts.timeoutMs} ms`, { retryable: true }),
    );
  }, opts.timeoutMs);
  const outer = hooks.signal;
  const onOuterAbort = () =>
    deadline.abort(
      new JobError(TitleErrorCodes.FETCH_ABORTED, `${truncate(input)}: the fetch was cancelled`, {
        retryable: true,
        cause: outer?.reason,
      }),
    );
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  try {
    return await followRedirects(input, opts, deadline.signal, hooks);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

async function followRedirects(input: string, opts: TitleFetchOptions, signal: AbortSignal, hooks: FetchHooks): Promise<TitleResult> {
  let url = parseTargetUrl(input);
  for (let redirects = 0; ; redirects++) {
    hooks.onRequest?.(url.href, redirects);
    const addresses = await checkedAddresses(url, opts, signal);
    const res = await request(url, addresses, opts, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (redirectStatuses.has(status) && location) {
      res.destroy();
      if (redirects >= opts.maxRedirects) {
        throw new JobError(
          TitleErrorCodes.TOO_MANY_REDIRECTS,
          `${truncate(input)}: more than ${opts.maxRedirects} redirects (the last one from ${truncate(url.href)})`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (err) {
        throw new JobError(TitleErrorCodes.BAD_URL, `${truncate(url.href)} redirects to an invalid URL "${truncate(location)}"`, { cause: err });
      }
      checkScheme(next);
      url = next;
      continue;
    }
    const failed = statusError(status, truncate(url.href));
    if (failed) {
      res.destroy();
      throw failed;
    }
    const contentType = headerValue(res.headers["content-type"]);
    const type = mediaType(contentType);
    let title: string | null = null;
    let bytesRead = 0;
    if (type === null || htmlTypes.has(type)) {
      ({ title, bytesRead } = await readTitle(res, contentType, opts.maxBytes, signal, url.href));
    } else {
      res.destroy(); // an image or a PDF has no <title>: do not download it
    }
    return { url: input, final_url: url.href, status, title, content_type: contentType, bytes_read: bytesRead };
  }
}

/** Whether the guard lets this URL's host through unchecked. */
function hostAllowed(url: URL, opts: TitleFetchOptions): boolean {
  if (opts.allowPrivate) return true;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return opts.allowHosts.some((h) => {
    const a = h.toLowerCase();
    return a === host || a === hostname;
  });
}

/** Resolves the URL's host once and checks every address; returns the addresses to connect to. */
async function checkedAddresses(url: URL, opts: TitleFetchOptions, signal: AbortSignal): Promise<ResolvedAddress[] | null> {
  const host = unbracket(url.hostname);
  const allowed = hostAllowed(url, opts);
  if (isIpLiteral(host)) {
    const why = allowed ? null : blockedRange(host);
    if (why) throw blocked(url, `${host} is ${why}`);
    return null; // an IP literal is connected to as it is: no lookup happens
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await abortable(opts.resolve ? opts.resolve(host) : systemResolve(host), signal);
  } catch (err) {
    throw toFetchError(err, truncate(url.href));
  }
  if (addresses.length === 0) {
    throw new JobError(TitleErrorCodes.FETCH_DNS, `${truncate(url.href)}: ${host} has no address`);
  }
  if (!allowed) {
    for (const a of addresses) {
      const why = blockedRange(a.address);
      if (why) throw blocked(url, `${host} resolves to ${a.address} (${why})`);
    }
  }
  return addresses;
}

function blocked(url: URL, what: string): JobError {
  return new JobError(
    TitleErrorCodes.FETCH_BLOCKED,
    `refused ${truncate(url.href)}: ${what}. Private and reserved addresses are blocked; ` +
      `to fetch from an intranet, run the worker with --allow-private-fetch (DOCCTL_ALLOW_PRIVATE_FETCH=1)`,
  );
}

async function systemResolve(host: string): Promise<ResolvedAddress[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family }));
}

/** A `lookup` that answers with the addresses already checked, instead of asking DNS again. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean; family?: number | string }, cb: (...args: unknown[]) => void) => {
    const family = options?.family === "IPv4" ? 4 : options?.family === "IPv6" ? 6 : Number(options?.family) || 0;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    if (usable.length === 0) {
      cb(Object.assign(new Error(`no IPv${family} address`), { code: "ENOTFOUND" }));
    } else if (options?.all) {
      cb(null, usable);
    } else {
      cb(null, usable[0].address, usable[0].family);
    }
  }) as unknown as LookupFunction;
}

function request(url: URL, addresses: ResolvedAddress[] | null, opts: TitleFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const req = client.request({
      host: unbracket(url.hostname),
      port: url.port || (url.protocol === "https:" ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: "GET",
      agent: false, // one connection per hop, closed after it: no pooled sockets outlive the job
      headers: {
        "user-agent": opts.userAgent,
        accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        // Titles sit near the top: compression saves little, and identity keeps the byte limit exact.
        "accept-encoding": "identity",
      },
      ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    const onAbort = () => req.destroy(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("response", (res) => {
      signal.removeEventListener("abort", onAbort);
      resolve(res);
    });
    req.on("error", (err) => {
      signal.removeEventListener("abort", onAbort);
      reject(signal.aborted ? signal.reason : toFetchError(err, truncate(url.href)));
    });
    req.end();
  });
}

/** A decoder for a Content-Encoding a server sent even though we asked for identity; null if none is needed. */
function bodyDecoder(contentEncoding: string | null): Transform | null | "unsupported" {
  const enc = (contentEncoding ?? "").trim().toLowerCase();
  if (enc === "" || enc === "identity") return null;
  if (enc === "gzip" || enc === "x-gzip") return zlib.createGunzip();
  if (enc === "deflate") return zlib.createInflate();
  if (enc === "br") return zlib.createBrotliDecompress();
  return "unsupported";
}

/**
 * Reads the body into the title scanner until the title is complete, the body ends, or maxBytes
 * (counted after decompression, so a compression bomb stops there too).
 */
function readTitle(
  res: IncomingMessage,
  contentType: string | null,
  maxBytes: number,
  signal: AbortSignal,
  href: string,
): Promise<{ title: string | null; bytesRead: number }> {
  const decoder = bodyDecoder(headerValue(res.headers["content-encoding"]));
  if (decoder === "unsupported") {
    res.destroy(); // cannot read it: no title rather than a title made of compressed bytes
    return Promise.resolve({ title: null, bytesRead: 0 });
  }
  const body: Readable = decoder ? res.pipe(decoder) : res;
  const scanner = new TitleScanner(contentType);
  let bytesRead = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      // Stop the download either way: the rest of the page is not needed.
      if (!res.complete || err !== undefined) res.destroy();
      decoder?.destroy();
      if (err !== undefined) reject(err);
      else resolve({ title: scanner.end().title, bytesRead });
    };
    const onAbort = () => finish(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    body.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      const take = Math.min(chunk.length, maxBytes - bytesRead);
      bytesRead += take;
      const done = scanner.write(take === chunk.length ? chunk : chunk.subarray(0, take));
      if (done || bytesRead >= maxBytes) finish();
    });
    body.on("end", () => finish());
    const onError = (err: unknown) => finish(signal.aborted ? signal.reason : toFetchError(err, truncate(href)));
    res.on("error", onError);
    decoder?.on("error", (err) => onError(Object.assign(new Error(`the ${res.headers["content-encoding"]} body is corrupt: ${err.message}`), { code: (err as { code?: string }).code })));
    res.on("close", () => {
      if (!settled && !res.complete) {
        onError(Object.assign(new Error("the connection closed before the page ended"), { code: "ECONNRESET" }));
      }
    });
  });
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function headerValue(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function truncate(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
