// The `title` job type: fetch a web page and return its <title>, safely, for the map-reduce demo and real use.

import type { HandlerDef } from "../../core/runtime/protocol/types.ts";
import { fetchTitle, type TitleResult } from "./fetch.ts";
import { resolveOptions, type TitleFetchOptions } from "./options.ts";

export type { TitleResult } from "./fetch.ts";
export { TitleErrorCodes } from "./errors.ts";
export { titleFetchDefaults, type TitleFetchOptions } from "./options.ts";

/** The payload of a `title` job. */
export interface TitlePayload {
  /** the page to fetch: http(s) URL, or a bare host like "example.com" (https:// is assumed) */
  url: string;
}

/** JSON Schema of the payload (checked by the runtime before `handle`). */
export const titlePayloadSchema = {
  type: "object",
  properties: {
    url: { type: "string", minLength: 1, maxLength: 8192, description: "the page to fetch (http or https)" },
  },
  required: ["url"],
  additionalProperties: false,
} as const;

/** The runtime's own time limit runs this much past the fetch's, so FETCH_TIMEOUT (clearer) fires first. */
const runtimeGraceMs = 5_000;

/**
 * Builds the `title` handler. Options not given come from the environment at each job
 * (DOCCTL_ALLOW_PRIVATE_FETCH, DOCCTL_TITLE_TIMEOUT_MS), then from `titleFetchDefaults`.
 */
export function createTitleHandler(options: Partial<TitleFetchOptions> = {}): HandlerDef<TitlePayload, TitleResult> {
  const atLoad = resolveOptions(options, process.env);
  return {
    description: "fetch a web page and return its <title> (public addresses only, unless --allow-private-fetch)",
    schema: titlePayloadSchema,
    timeoutMs: atLoad.timeoutMs + runtimeGraceMs,
    maxAttempts: 3,
    handle(payload, ctx) {
      // Read the environment per job: `--allow-private-fetch` may set it after this module loaded.
      const opts = resolveOptions(options, process.env);
      return fetchTitle(payload.url, opts, {
        signal: ctx.signal,
        onRequest(url, redirects) {
          ctx.heartbeat();
          ctx.log.debug(redirects ? `redirect ${redirects} to ${url}` : `GET ${url}`);
        },
      });
    },
  };
}

/** The `title` handler with the safe defaults (register it as "title"). */
const title: HandlerDef<TitlePayload, TitleResult> = createTitleHandler();
export default title;
