// The guarded HTTP client: fetches a page's title without letting a job reach private addresses.
//
// Every hop (the first URL and each redirect) is checked before any connection: the scheme
// (url.ts), then every address its host resolves to (resolve.ts), and the connection goes to exactly
// those addresses; TLS still checks the certificate against the host name. Redirects are followed
// by hand, the body is read only up to the title or the byte limit (body.ts), and one deadline
// covers the whole fetch.

import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { headerValue, readTitle } from "./body.ts";
import { mediaType } from "./charset.ts";
import { statusError, TitleErrorCodes, toFetchError } from "./errors.ts";
import type { ResolvedAddress, TitleFetchOptions } from "./options.ts";
import { checkedAddresses, pinnedLookup } from "./resolve.ts";
import { checkScheme, maskUserinfo, parseTargetUrl, truncate, unbracket } from "./url.ts";

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
    // credentials in the URL were used for the request; results (and dead letters, the dashboard) never echo them
    return { url: maskUserinfo(input), final_url: maskUserinfo(url.href), status, title, content_type: contentType, bytes_read: bytesRead };
  }
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

