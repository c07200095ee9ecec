// A small typed client for the DigitalOcean v2 API: droplets, images, snapshots; retries 5xx, waits out 429s.
import { apiRetryBackoff, backoffDelay, type Backoff } from "../../runtime/util/backoff.ts";
import { rateLimitWait } from "../rate-limit.ts";
import { sleep } from "../../runtime/util/sleep.ts";
import { ProviderError, ProviderErrorCodes } from "../errors.ts";

export const DO_API_URL = "https://api.digitalocean.com";

/** A droplet as the API returns it (the fields docctl reads). */
export interface DoDroplet {
  id: number;
  name: string;
  /** new → active; off / archive after power-off or destroy */
  status: "new" | "active" | "off" | "archive";
  created_at: string;
  tags: string[];
  image?: { id: number; name?: string };
  region?: { slug: string };
  size_slug?: string;
}

/** A private image (snapshot or backup) from `/v2/images?private=true`. */
export interface DoImage {
  id: number;
  name: string;
  type?: string;
  regions?: string[];
}

/** A snapshot from `/v2/snapshots?resource_type=droplet` (its id is a string there). */
export interface DoSnapshot {
  id: string;
  name: string;
  regions?: string[];
  resource_type?: string;
}

/** Body of POST /v2/droplets: `name` for one, `names` (up to 10) for several. */
export interface DoCreateRequest {
  name?: string;
  names?: string[];
  region: string;
  size: string;
  image: number | string;
  ssh_keys?: (number | string)[];
  tags?: string[];
  user_data?: string;
  monitoring?: boolean;
}

/** Paged list responses carry `links.pages.next` and `meta.total`. */
interface Paged {
  links?: { pages?: { next?: string; last?: string } };
  meta?: { total?: number };
}

/** Client options. */
export interface DoClientOptions {
  /** the API token: sent as a bearer token, never logged or put into an error */
  token: string;
  /** API origin (tests point it at a fake on 127.0.0.1); a trailing `/v2` is accepted */
  baseUrl: string;
  /** retries of a call that failed with 5xx or a network error (GET/DELETE only; see `request`) */
  maxRetries: number;
  /** spacing of those retries */
  backoff: Backoff;
  /** longest we wait for a rate limit window to reset before giving up, ms */
  maxRateLimitWaitMs: number;
  /** how many 429s in a row we wait out */
  maxRateLimitRetries: number;
  /** page size for lists */
  perPage: number;
  /** aborts waits and requests (the manager is stopping) */
  signal?: AbortSignal;
  /** called before each wait, for a progress line */
  onWait?: (what: string, ms: number) => void;
  /** each HTTP call made, for -vvvv debug lines: method and path, status, time taken */
  onCall?: (what: string, status: number, ms: number) => void;
}

export const doClientDefaults: Omit<DoClientOptions, "token"> = {
  baseUrl: DO_API_URL,
  maxRetries: 5,
  backoff: apiRetryBackoff,
  maxRateLimitWaitMs: 120_000,
  maxRateLimitRetries: 5,
  perPage: 200,
};

/** The DigitalOcean v2 calls docctl needs, nothing else. */
export class DoClient {
  private opts: DoClientOptions;
  private base: string;

  constructor(opts: Partial<DoClientOptions> & { token: string }) {
    if (!opts.token) {
      throw new ProviderError("no DigitalOcean token: set DIGITALOCEAN_TOKEN or pass --do-token-file", 0, ProviderErrorCodes.NO_TOKEN);
    }
    this.opts = { ...doClientDefaults, ...opts };
    this.base = this.opts.baseUrl.replace(/\/+$/, "").replace(/\/v2$/, "");
  }

  /**
   * One API call. 429 waits until `ratelimit-reset` then retries (the request was not executed).
   * 5xx and network errors are retried with backoff for GET and DELETE; a POST is not retried on
   * either because it may have created droplets: the manager lists again on its next tick instead,
   * which is what keeps --max a hard limit.
   */
  async request<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const url = path.startsWith("http") ? this.rebase(path) : `${this.base}${path}`;
    const what = `${method} ${new URL(url).pathname}`;
    const idempotent = method !== "POST";
    let failures = 0;
    let limited = 0;
    for (;;) {
      let res: Response;
      const t0 = performance.now();
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${this.opts.token}`, "content-type": "application/json", accept: "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.opts.signal,
        });
      } catch (err) {
        if (this.opts.signal?.aborted) throw new ProviderError(`${what}: aborted`, 0, ProviderErrorCodes.UNAVAILABLE, { cause: err });
        failures++;
        // a POST may have reached the API before the connection broke: do not risk creating twice
        if (!idempotent || failures > this.opts.maxRetries) {
          throw new ProviderError(`${what}: cannot reach the DigitalOcean API at ${this.base} (${(err as Error).message}); check --do-api-url and the network`, 0, ProviderErrorCodes.UNAVAILABLE, { cause: err });
        }
        await this.wait(`${what} failed to connect; retry ${failures}/${this.opts.maxRetries}`, backoffDelay(failures - 1, this.opts.backoff, Math.random()));
        continue;
      }
      this.opts.onCall?.(what, res.status, Math.round(performance.now() - t0));
      if (res.ok) {
        if (res.status === 204) return undefined as T;
        const text = await res.text();
        return (text ? JSON.parse(text) : undefined) as T;
      }
      const err = await readError(res);
      if (res.status === 429) {
        limited++;
        const ms = rateLimitWait({ reset: res.headers.get("ratelimit-reset"), retryAfter: res.headers.get("retry-after") }, Date.now(), 1000);
        if (limited > this.opts.maxRateLimitRetries || ms > this.opts.maxRateLimitWaitMs) {
          throw new ProviderError(`${what}: DigitalOcean rate limit reached (resets in ${Math.ceil(ms / 1000)}s); lower the manager's --interval`, 429, ProviderErrorCodes.RATE_LIMITED);
        }
        await this.wait(`${what}: rate limited by DigitalOcean, waiting for the window to reset`, ms);
        continue;
      }
      if (res.status >= 500) {
        failures++;
        if (!idempotent || failures > this.opts.maxRetries) {
          throw new ProviderError(`${what}: DigitalOcean API error ${res.status} (${err.id}: ${err.message})${idempotent ? ` after ${this.opts.maxRetries} retries` : "; will list and try again next tick"}`, res.status, ProviderErrorCodes.UNAVAILABLE);
        }
        await this.wait(`${what}: DigitalOcean answered ${res.status}; retry ${failures}/${this.opts.maxRetries}`, backoffDelay(failures - 1, this.opts.backoff, Math.random()));
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new ProviderError(`${what}: DigitalOcean refused the token (${res.status} ${err.id}): check DIGITALOCEAN_TOKEN / --do-token-file and its scopes`, res.status, ProviderErrorCodes.UNAUTHORIZED);
      }
      if (res.status === 422) {
        throw new ProviderError(`${what}: DigitalOcean rejected the request (422 ${err.id}): ${err.message}. Check --region, --size, --image and --ssh-key`, 422, ProviderErrorCodes.UNPROCESSABLE);
      }
      throw new ProviderError(`${what}: DigitalOcean answered ${res.status} (${err.id}: ${err.message})`, res.status, ProviderErrorCodes.HTTP_ERROR);
    }
  }

  /** Follows `links.pages.next` until the last page and returns every item under `key`. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    const sep = path.includes("?") ? "&" : "?";
    let next: string | undefined = `${path}${sep}per_page=${this.opts.perPage}`;
    const out: T[] = [];
    for (let pages = 0; next && pages < 1000; pages++) {
      const page: Paged & Record<string, unknown> = await this.request<Paged & Record<string, unknown>>("GET", next);
      out.push(...((page[key] as T[]) ?? []));
      next = page.links?.pages?.next;
    }
    return out;
  }

  /** Droplets carrying `tag` (every page). */
  listDroplets(tag: string): Promise<DoDroplet[]> {
    return this.listAll<DoDroplet>(`/v2/droplets?tag_name=${encodeURIComponent(tag)}`, "droplets");
  }

  /** One droplet, or null if it no longer exists. */
  async getDroplet(id: number): Promise<DoDroplet | null> {
    try {
      return (await this.request<{ droplet: DoDroplet }>("GET", `/v2/droplets/${id}`)).droplet;
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return null;
      throw err;
    }
  }

  /** Creates one or more droplets (`names` takes at most 10 per call). */
  async createDroplets(req: DoCreateRequest): Promise<DoDroplet[]> {
    const res = await this.request<{ droplet?: DoDroplet; droplets?: DoDroplet[] }>("POST", "/v2/droplets", req);
    return res.droplets ?? (res.droplet ? [res.droplet] : []);
  }

  /** Deletes one droplet; a droplet that is already gone is not an error. */
  async deleteDroplet(id: number): Promise<void> {
    try {
      await this.request("DELETE", `/v2/droplets/${id}`);
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return;
      throw err;
    }
  }

  /** Private images (snapshots and backups) of the account. */
  listPrivateImages(): Promise<DoImage[]> {
    return this.listAll<DoImage>("/v2/images?private=true", "images");
  }

  /** Droplet snapshots of the account. */
  listSnapshots(): Promise<DoSnapshot[]> {
    return this.listAll<DoSnapshot>("/v2/snapshots?resource_type=droplet", "snapshots");
  }

  /** Rewrites an absolute `links.pages.next` URL onto our base, so a proxy or fake keeps working. */
  private rebase(abs: string): string {
    const u = new URL(abs);
    return `${this.base}${u.pathname}${u.search}`;
  }

  private async wait(what: string, ms: number): Promise<void> {
    this.opts.onWait?.(what, ms);
    if (await sleep(ms, this.opts.signal)) throw new ProviderError(`${what}: aborted`, 0, ProviderErrorCodes.UNAVAILABLE);
  }
}

async function readError(res: Response): Promise<{ id: string; message: string }> {
  try {
    const j = (await res.json()) as { id?: string; message?: string };
    return { id: j.id ?? String(res.status), message: j.message ?? res.statusText };
  } catch {
    // a body that is not JSON (a proxy's HTML page): the status says what there is
    return { id: String(res.status), message: res.statusText };
  }
}
