// The title handler's failure codes, and the mapping from Node-style network errors to them. Pure.

import { JobError } from "../../core/runtime/protocol/errors.ts";

/** Error codes a failed `title` job can carry (listed in docs/title.md). */
export const TitleErrorCodes = {
  /** the url is not a URL, or a redirect pointed to something that is not one (not retryable) */
  BAD_URL: "BAD_URL",
  /** the guard refused: a scheme other than http/https, or an address that is not public (not retryable) */
  FETCH_BLOCKED: "FETCH_BLOCKED",
  /** the host name did not resolve (retryable only for a temporary DNS failure) */
  FETCH_DNS: "FETCH_DNS",
  /** the connection failed or broke: refused, reset, unreachable ... (retryable) */
  FETCH_NETWORK: "FETCH_NETWORK",
  /** the TLS handshake failed: bad or expired certificate, wrong name (not retryable) */
  FETCH_TLS: "FETCH_TLS",
  /** the whole fetch (all redirects and the body) took longer than the time limit (retryable) */
  FETCH_TIMEOUT: "FETCH_TIMEOUT",
  /** the worker cancelled the job (it timed out or is stopping) (retryable) */
  FETCH_ABORTED: "FETCH_ABORTED",
  /** the server answered 4xx (not retryable, except 408 and 429) */
  FETCH_HTTP_4XX: "FETCH_HTTP_4XX",
  /** the server answered 5xx (retryable) */
  FETCH_HTTP_5XX: "FETCH_HTTP_5XX",
  /** more redirects than allowed (not retryable) */
  TOO_MANY_REDIRECTS: "TOO_MANY_REDIRECTS",
} as const;

const dnsNotFound = new Set(["ENOTFOUND", "EAI_NONAME", "EAI_NODATA", "ENODATA", "DNS_ENOTFOUND"]);
const dnsTemporary = new Set(["EAI_AGAIN", "ESERVFAIL", "ETIMEOUT", "ECONNREFUSED_DNS", "DNS_ESERVFAIL"]);
const tlsCode = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|HANDSHAKE/;

const plain: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** Turns an error from DNS, a socket or TLS into a JobError with a stable code; JobErrors pass through. */
export function toFetchError(err: unknown, url: string): JobError {
  if (err instanceof JobError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : String(err);
  const cause = { cause: err };
  if (dnsNotFound.has(code)) {
    return new JobError(TitleErrorCodes.FETCH_DNS, `${url}: the host name does not resolve (${code}); check the spelling`, cause);
  }
  if (dnsTemporary.has(code) && /getaddrinfo|dns|resolve/i.test(message + code)) {
    return new JobError(TitleErrorCodes.FETCH_DNS, `${url}: DNS lookup failed for now (${code}): ${message}`, { ...cause, retryable: true });
  }
  if (tlsCode.test(code)) {
    return new JobError(TitleErrorCodes.FETCH_TLS, `${url}: TLS failed (${code}): ${message}`, cause);
  }
  const what = plain[code] ?? message;
  return new JobError(TitleErrorCodes.FETCH_NETWORK, `${url}: ${what}${code ? ` (${code})` : ""}`, { ...cause, retryable: true });
}

/** The error for an HTTP status that is neither a success nor a redirect we follow, or null. */
export function statusError(status: number, url: string): JobError | null {
  if (status >= 500) {
    return new JobError(TitleErrorCodes.FETCH_HTTP_5XX, `${url}: the server answered ${status}; it may pass, the job is retried`, { retryable: true });
  }
  if (status >= 400) {
    // 408 Request Timeout and 429 Too Many Requests say "try again later", not "this is wrong".
    const retryable = status === 408 || status === 429;
    return new JobError(TitleErrorCodes.FETCH_HTTP_4XX, `${url}: the server answered ${status}`, { retryable });
  }
  return null;
}
