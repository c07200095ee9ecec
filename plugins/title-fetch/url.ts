// The URL a title job fetches: what a user may write, and how it is shown in messages. Pure.

import { JobError } from "../../core/runtime/protocol/errors.ts";
import { TitleErrorCodes } from "./errors.ts";
import { allowedSchemes } from "./guard.ts";

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
    throw new JobError(TitleErrorCodes.BAD_URL, `"${truncate(input)}" is not a valid URL`, { cause: err });
  }
  checkScheme(url);
  if (!url.hostname) throw new JobError(TitleErrorCodes.BAD_URL, `"${truncate(input)}" has no host name`);
  return url;
}

/** Refuses (FETCH_BLOCKED) a URL whose scheme is not http: or https:. */
export function checkScheme(url: URL): void {
  if (!allowedSchemes.has(url.protocol)) {
    throw new JobError(
      TitleErrorCodes.FETCH_BLOCKED,
      `${url.protocol} URLs are not fetched (${truncate(url.href)}): only http: and https:`,
    );
  }
}

/** A host name without the brackets of an IPv6 literal ("[::1]" -> "::1"). */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** A URL (or any text) as shown to people: user and password masked (`https://***@host/`), cut to `max`. */
export function truncate(s: string, max = 200): string {
  const shown = maskUserinfo(s);
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

/** `s` with the userinfo of every URL in it replaced by *** (credentials are sent, never echoed). */
export function maskUserinfo(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/?#\s"]*@/gi, "$1***@");
}
