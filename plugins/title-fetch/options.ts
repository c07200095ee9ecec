// Options of the title fetcher, their defaults, and the environment variables that set them.

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6 */
  family: number;
}

/** How the title handler fetches pages. */
export interface TitleFetchOptions {
  /**
   * Connect to any address, private ones included (intranets, local demos, tests). Default false;
   * `DOCCTL_ALLOW_PRIVATE_FETCH=1` turns it on (`docctl worker --allow-private-fetch` sets that).
   */
  allowPrivate: boolean;
  /**
   * Hosts the address guard lets through, as written in a URL: "intranet.example", "127.0.0.1:8080"
   * (that port only) or "[::1]:8080". Schemes are still checked. Default none.
   */
  allowHosts: string[];
  /** Time limit for the whole fetch: every redirect and the body, in ms. Env DOCCTL_TITLE_TIMEOUT_MS. */
  timeoutMs: number;
  /** Redirects followed before TOO_MANY_REDIRECTS. */
  maxRedirects: number;
  /** Body bytes read at most; a title not within them counts as no title. */
  maxBytes: number;
  /** The User-Agent header sent. */
  userAgent: string;
  /** Extra trusted CA certificates (PEM) for https, e.g. an intranet's or a test's own CA. */
  ca?: string | string[];
  /** Resolves a host name to all its addresses; the default is the system resolver (dns.lookup). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

/** The defaults: safe for fetching untrusted URLs on the public internet. */
export const titleFetchDefaults: TitleFetchOptions = {
  allowPrivate: false,
  allowHosts: [],
  timeoutMs: 10_000,
  maxRedirects: 5,
  maxBytes: 2 * 1024 * 1024,
  userAgent: "docctl-title/0.1 (+https://github.com/docctl/docctl)",
};

/** Parses a duration: a number of ms ("2500"), or with a unit ("2500ms", "10s", "1m"); null if invalid. */
export function parseDurationMs(value: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[(m[2] ?? "ms").toLowerCase()] ?? 1);
  return n > 0 ? Math.round(n) : null;
}

/** The options the environment sets (DOCCTL_ALLOW_PRIVATE_FETCH, DOCCTL_TITLE_TIMEOUT_MS); invalid values are ignored. */
export function optionsFromEnv(env: Record<string, string | undefined>): Partial<TitleFetchOptions> {
  const out: Partial<TitleFetchOptions> = {};
  const allow = env.DOCCTL_ALLOW_PRIVATE_FETCH?.trim().toLowerCase();
  if (allow !== undefined && allow !== "") out.allowPrivate = ["1", "true", "yes", "on"].includes(allow);
  const timeout = env.DOCCTL_TITLE_TIMEOUT_MS;
  if (timeout) {
    const ms = parseDurationMs(timeout);
    if (ms !== null) out.timeoutMs = ms;
  }
  return out;
}

/** Defaults, then the environment, then what the code asked for: the options one job runs with. */
export function resolveOptions(given: Partial<TitleFetchOptions>, env: Record<string, string | undefined>): TitleFetchOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...titleFetchDefaults, ...optionsFromEnv(env), ...defined };
}
