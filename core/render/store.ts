// Templates in the DOCCTL_TEMPLATES JetStream object store, and a per-proc cache keyed by object digest.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm, type ObjectInfo, type ObjectStore } from "@nats-io/obj";
import { isNotFound } from "../runtime/nats/errors.ts";
import { renderError } from "./errors.ts";
import { type Template, type TemplateKind, type TemplateSource, buildTemplate, checkTemplateName, decodeBundle, encodeBundle } from "./template.ts";
import { type TemplateLimits, checkBasePdf } from "./limits.ts";

/** The object store bucket holding templates. */
export const TEMPLATES_BUCKET = "DOCCTL_TEMPLATES";

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
    if (create) return await objm.create(TEMPLATES_BUCKET, { description: "docctl templates" });
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
  const t = await buildTemplate(src, limits);
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
export class TemplateCache {
  #nc: NatsConnection;
  #os: ObjectStore | null = null;
  #entries = new Map<string, Template & { digest: string }>();
  #max: number;
  #limits: Partial<TemplateLimits>;
  /** downloads so far (for tests and metrics) */
  fetches = 0;

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

  /** The current version of the named template. */
  async get(name: string): Promise<Template & { digest: string }> {
    checkTemplateName(name);
    if (!this.#os) this.#os = await templateStore(this.#nc, false);
    if (!this.#os) throw notFound(name);
    let info: ObjectInfo | null;
    try {
      info = await this.#os.info(name);
    } catch (err) {
      throw renderError("TEMPLATE_STORE_ERROR", `cannot read template ${JSON.stringify(name)} from ${TEMPLATES_BUCKET}: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    if (!info || info.deleted) {
      this.#entries.delete(name);
      throw notFound(name);
    }
    const cached = this.#entries.get(name);
    this.#entries.delete(name); // re-inserted below: Map order is recency order
    if (cached && cached.digest === info.digest) {
      this.#entries.set(name, cached);
      return cached;
    }
    const t = await fetchTemplate(this.#os, name);
    this.fetches++;
    await checkBasePdf(t.base, `template ${JSON.stringify(name)}: base.pdf`, this.#limits);
    this.#entries.set(name, t);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return t;
  }

  /** Forgets everything (e.g. after a reconnect to another cluster). */
  clear(): void {
    this.#entries.clear();
    this.#os = null;
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
  } catch {}
  return { name: i.name, kind: meta.kind ?? "unknown", pages: meta.pages ?? 0, size: i.size, digest: i.digest, mtime: i.mtime };
}
