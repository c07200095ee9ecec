// Reading a response body into the title scanner: decompressed, bounded, stopped as soon as the title is known.

import type { IncomingMessage } from "node:http";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { toFetchError } from "./errors.ts";
import { TitleScanner } from "./parse.ts";
import { truncate } from "./url.ts";

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
export function readTitle(
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

/** The first value of a response header, or null. */
export function headerValue(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

