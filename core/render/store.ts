// Templates in the DOCCTL_TEMPLATES JetStream object store, and a per-proc cache keyed by object digest.
import { renderMemory } from "./memory-budget.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm, type ObjectInfo, type ObjectStore } from "@nats-io/obj";
import { isNotFound } from "../runtime/nats/errors.ts";
import { renderError } from "./errors.ts";
import { type Template, type TemplateKind, type TemplateSource, buildTemplate, checkTemplateName, decodeBundle, encodeBundle } from "./template.ts";
import { type TemplateLimits, checkBasePdf } from "./limits.ts";
import { replicasFor } from "../runtime/nats/replicas.ts";
import { BUCKET_TEMPLATES } from "../runtime/protocol/subjects.ts";

/** The object store bucket holding templates. */
export const TEMPLATES_BUCKET = BUCKET_TEMPLATES;

/** What `template ls` shows about a stored template, without downloading it. */
export interface TemplateInfo {
  name: string;
  kind: TemplateKind | "unknown";
  /** pages in the base PDF */
  pages: number;
  /** bundle size in bytes */
  size: number;
  /** object store digest ("SHA-256=..."): changes with every new version */
  digest: string;
  /** when this version was stored (ISO 8601) */
  mtime: string;
}

/** Opens (creating if needed) the templates bucket. */
export async function templateStore(nc: NatsConnection, create = true): Promise<ObjectStore | null> {
  const objm = new Objm(nc);
  try {
    if (create) return await objm.create(TEMPLATES_BUCKET, { description: "docctl templates", replicas: replicasFor(nc) });
    // Objm.open says "not found" only in its message; the bucket's stream info says it with a JetStream code.
    await (await jetstreamManager(nc)).streams.info(`OBJ_${TEMPLATES_BUCKET}`);
    return await objm.open(TEMPLATES_BUCKET, false);
  } catch (err) {
    if (!create && isNotFound(err)) return null;
    throw renderError("TEMPLATE_STORE_ERROR", `cannot open the ${TEMPLATES_BUCKET} object store: ${(err as Error).message}`, { cause: err, retryable: true });
  }
}

/** Validates (within `limits`) and stores a template (a new version if the name exists). */
export async function putTemplate(nc: NatsConnection, src: TemplateSource, limits?: Partial<TemplateLimits>): Promise<TemplateInfo> {
  return await storeTemplate(nc, await buildTemplate(src, limits));
}

/** Stores a template buildTemplate() has checked (a new version if the name exists). */
export async function storeTemplate(nc: NatsConnection, t: Template): Promise<TemplateInfo> {
  const os = (await templateStore(nc))!;
  const info = await os.putBlob({ name: t.name, description: JSON.stringify({ kind: t.kind, pages: t.pages }) }, encodeBundle(t));
  return toInfo(info);
}

/** Every stored template, sorted by name. */
export async function listTemplates(nc: NatsConnection): Promise<TemplateInfo[]> {
  const os = await templateStore(nc, false);
  if (!os) return [];
  const list = await os.list();
  return list.filter((i) => !i.deleted).map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
}

/** The named template; TEMPLATE_NOT_FOUND when there is none. */
export async function getTemplate(nc: NatsConnection, name: string): Promise<Template & { digest: string }> {
  checkTemplateName(name);
  const os = await templateStore(nc, false);
  const info = os ? await os.info(name) : null;
  if (!os || !info || info.deleted) throw notFound(name);
  return await fetchTemplate(os, name);
}

/** Deletes a template; false when there was none. */
export async function removeTemplate(nc: NatsConnection, name: string): Promise<boolean> {
  checkTemplateName(name);
  const os = await templateStore(nc, false);
  if (!os) return false;
  const info = await os.info(name);
  if (!info || info.deleted) return false;
  await os.delete(name);
  return true;
}

/**
 * A worker's template cache. Each `get` asks the store for the object's info (one small request) and
 * downloads the bundle only when its digest differs from the cached one, so a `template put` is seen
 * by the very next job and a busy worker does not re-download an unchanged template.
 */
/** How a TemplateCache follows the bucket (see TemplateCache.watch). */
export interface TemplateWatchOptions {
  /** download the stored templates now, most recently stored first (default true) */
  prefetch?: boolean;
  /** prefetch at most this many bytes of template bundles (default 64 MiB) */
  prefetchMaxBytes?: number;
}

export const templateWatchDefaults = { prefetch: true, prefetchMaxBytes: 64 * 2 ** 20, retryWatchMs: 5_000 };

let cacheIds = 0;

/** A template's files in bytes: base PDF, fonts, assets (and an HTML page). */
function templateBytes(t: Template): number {
  let n = t.base.byteLength;
  for (const f of t.fonts ?? []) n += f.bytes.byteLength;
  for (const a of t.assets ?? []) n += a.bytes.byteLength;
  return n + ((t as { html?: string }).html?.length ?? 0) * 2;
}

export class TemplateCache {
  #nc: NatsConnection;
  #os: ObjectStore | null = null;
  #entries = new Map<string, Template & { digest: string }>();
  /** this cache's part of the budget's ids (a proc may hold more than one cache) */
  #id = ++cacheIds;
  #max: number;
  #limits: Partial<TemplateLimits>;
  /** downloads in progress, so jobs arriving together for one template download it once */
  #loading = new Map<string, Promise<Template & { digest: string }>>();
  /** current digest of each template as the bucket watch reports it (null: deleted) */
  #versions = new Map<string, string | null>();
  #watch?: { options: TemplateWatchOptions; alive: boolean; lastTry: number; stop?: () => void };
  /** downloads so far (for tests and metrics) */
  fetches = 0;
  /** info requests so far: one per get() unless the bucket is watched (for tests and metrics) */
  infoRequests = 0;

  /**
   * `maxEntries`: templates kept in memory; the least recently used is dropped beyond it (default 64).
   * `limits`: caps each downloaded version's base PDF is checked against before first use (a template
   * stored by an older docctl, or written to the bucket by hand, gets no other check).
   */
  constructor(nc: NatsConnection, maxEntries = 64, limits: Partial<TemplateLimits> = {}) {
    this.#nc = nc;
    this.#max = maxEntries;
    this.#limits = limits;
  }

  /**
   * Follow the bucket instead of asking for each template's digest on every get(): the current
   * templates are downloaded now (with `prefetch`), a new version of a cached template is downloaded as
   * soon as it is stored, and get() answers from memory. A version stored a moment before a job arrives
   * may be missed by that job (the watch is milliseconds behind); without watch() every get() checks.
   * Falls back to checking per get() while the watch is down, and tries again.
   */
  async watch(opts: TemplateWatchOptions = {}): Promise<void> {
    this.#watch = { options: opts, alive: false, lastTry: 0 };
    await this.#startWatch();
  }

  /** Stop following the bucket. */
  stopWatching(): void {
    this.#watch?.stop?.();
    this.#watch = undefined;
    this.#versions.clear();
  }

  /** The current version of the named template. */
  async get(name: string): Promise<Template & { digest: string }> {
    checkTemplateName(name);
    if (!this.#os) this.#os = await templateStore(this.#nc, false);
    if (!this.#os) throw notFound(name);
    const w = this.#watch;
    if (w && !w.alive && Date.now() - w.lastTry > templateWatchDefaults.retryWatchMs) void this.#startWatch();
    let digest: string;
    if (w?.alive && this.#versions.has(name)) {
      const v = this.#versions.get(name)!;
      if (v === null) {
        this.#entries.delete(name);
        renderMemory.remove(`template:${this.#id}:${name}`);
        throw notFound(name);
      }
      digest = v;
    } else {
      let info: ObjectInfo | null;
      try {
        this.infoRequests++;
        info = await this.#os.info(name);
      } catch (err) {
        throw renderError("TEMPLATE_STORE_ERROR", `cannot read template ${JSON.stringify(name)} from ${TEMPLATES_BUCKET}: ${(err as Error).message}`, { cause: err, retryable: true });
      }
      if (!info || info.deleted) {
        this.#entries.delete(name);
        renderMemory.remove(`template:${this.#id}:${name}`);
        throw notFound(name);
      }
      digest = info.digest;
      // the watch reports later versions; this one only fills the gap until it does
      if (w?.alive && !this.#versions.has(name)) this.#versions.set(name, digest);
    }
    const cached = this.#entries.get(name);
    if (cached && cached.digest === digest) {
      this.#entries.delete(name); // re-inserted: Map order is recency order
      this.#entries.set(name, cached);
      renderMemory.touch(`template:${this.#id}:${name}`);
      return cached;
    }
    return await this.#load(name);
  }

  /** The templates held now (prefetched by watch() or used by jobs): name and kind, least recently used first. */
  held(): { name: string; kind: TemplateKind }[] {
    return [...this.#entries.values()].map((t) => ({ name: t.name, kind: t.kind }));
  }

  /** Forgets everything (e.g. after a reconnect to another cluster). */
  clear(): void {
    for (const name of this.#entries.keys()) renderMemory.remove(`template:${this.#id}:${name}`);
    this.#entries.clear();
    this.#versions.clear();
    this.#os = null;
  }

  // Downloads the current version of `name` once however many jobs ask at the same time.
  #load(name: string): Promise<Template & { digest: string }> {
    let p = this.#loading.get(name);
    if (!p) {
      p = fetchTemplate(this.#os!, name)
        .then(async (t) => {
          this.fetches++;
          await checkBasePdf(t.base, `template ${JSON.stringify(name)}: base.pdf`, this.#limits);
          this.#entries.delete(name);
          this.#entries.set(name, t);
          // Charged to the proc's render memory budget by its files' sizes (base PDF, fonts, assets),
          // twice over for what is parsed from them; the least recently used template goes first.
          const id = `template:${this.#id}:${name}`;
          if (!renderMemory.add(id, templateBytes(t) * 2, () => this.#entries.get(name) === t && this.#entries.delete(name))) this.#entries.delete(name);
          if (this.#entries.size > this.#max) {
            const oldest = this.#entries.keys().next().value!;
            this.#entries.delete(oldest);
            renderMemory.remove(`template:${this.#id}:${oldest}`);
          }
          return t;
        })
        .finally(() => this.#loading.delete(name));
      this.#loading.set(name, p);
    }
    return p;
  }

  async #startWatch(): Promise<void> {
    const w = this.#watch;
    if (!w || w.alive) return;
    w.lastTry = Date.now();
    try {
      if (!this.#os) this.#os = await templateStore(this.#nc, false);
      if (!this.#os) return; // no bucket yet: get() tries again later
      const os = this.#os;
      const current = (await os.list()).filter((i) => !i.deleted);
      for (const i of current) this.#versions.set(i.name, i.digest);
      // with history: a version stored between list() and here is not missed (the rest are repeats)
      const iter = await os.watch({ includeHistory: true });
      w.alive = true;
      w.stop = () => {
        w.alive = false;
        iter.stop();
      };
      void (async () => {
        try {
          for await (const info of iter) {
            if (!info) continue;
            this.#versions.set(info.name, info.deleted ? null : info.digest);
            if (info.deleted) {
              this.#entries.delete(info.name);
              renderMemory.remove(`template:${this.#id}:${info.name}`);
            }
            // a cached template's new version is fetched now, not by the next job that needs it
            else if (this.#entries.get(info.name)?.digest !== info.digest && this.#entries.has(info.name)) void this.#load(info.name).catch(() => {});
          }
        } finally {
          w.alive = false;
          this.#versions.clear();
        }
      })();
      if (w.options.prefetch ?? templateWatchDefaults.prefetch) {
        // most recently stored first, as many as the cache keeps and the byte budget allows
        let budget = w.options.prefetchMaxBytes ?? templateWatchDefaults.prefetchMaxBytes;
        const wanted = current
          .sort((a, b) => Date.parse(b.mtime) - Date.parse(a.mtime))
          .slice(0, this.#max)
          .filter((i) => (budget -= i.size) >= 0);
        // warming the cache only: a template that fails to load here is loaded (and its error said) when a job needs it
        await Promise.all(wanted.map((i) => this.#load(i.name).catch(() => {})));
      }
    } catch {
      // NATS away or the bucket unreadable: get() checks per call meanwhile and retries the watch
      w.alive = false;
    }
  }
}

async function fetchTemplate(os: ObjectStore, name: string): Promise<Template & { digest: string }> {
  let res;
  try {
    res = await os.get(name);
  } catch (err) {
    throw renderError("TEMPLATE_STORE_ERROR", `cannot read template ${JSON.stringify(name)}: ${(err as Error).message}`, { cause: err, retryable: true });
  }
  if (!res) throw notFound(name);
  const bytes = new Uint8Array(await new Response(res.data).arrayBuffer());
  const err = await res.error;
  if (err) throw renderError("TEMPLATE_STORE_ERROR", `reading template ${JSON.stringify(name)} failed: ${err.message}`, { cause: err, retryable: true });
  return { ...decodeBundle(bytes, `template ${JSON.stringify(name)}`), name, digest: res.info.digest };
}

function notFound(name: string) {
  return renderError("TEMPLATE_NOT_FOUND", `template ${JSON.stringify(name)} does not exist in ${TEMPLATES_BUCKET}; store it with \`docctl template put ${name} base.pdf --layout layout.json\` (see \`docctl template ls\`)`);
}

function toInfo(i: ObjectInfo): TemplateInfo {
  let meta: { kind?: TemplateKind; pages?: number } = {};
  try {
    meta = JSON.parse(i.description ?? "{}");
  } catch {
    // a description that is not JSON (an object put there by another tool): kind and pages unknown
  }
  return { name: i.name, kind: meta.kind ?? "unknown", pages: meta.pages ?? 0, size: i.size, digest: i.digest, mtime: i.mtime };
}
