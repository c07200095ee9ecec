// A template: a base PDF plus a layout or an HTML page. Validation, and the single-object bundle it is stored as.
import Mustache from "mustache";
import { renderError } from "./errors.ts";
import { baseInfo, loadBasePdf } from "./base-pdf.ts";
import { checkFormNames, formFieldNames } from "./forms.ts";
import { type Layout, validateLayout } from "./layout.ts";

export type TemplateKind = "layout" | "html";

/** A template as the renderer uses it. */
export interface Template {
  name: string;
  kind: TemplateKind;
  /** the base PDF ("generic template") the content is stamped over */
  base: Uint8Array;
  /** for kind "layout" */
  layout?: Layout;
  /** for kind "html": a Mustache HTML page */
  html?: string;
  /** pages in the base PDF */
  pages: number;
}

/** Template names double as object names: keep them portable. */
export const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws BAD_TEMPLATE unless `name` is a usable template name. */
export function checkTemplateName(name: string): void {
  if (!TEMPLATE_NAME.test(name))
    throw renderError("BAD_TEMPLATE", `template name ${JSON.stringify(name)} is not allowed: use letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit)`);
}

/** What the user hands in to make a template. */
export interface TemplateSource {
  name: string;
  base: Uint8Array;
  /** the parsed layout JSON (kind "layout") */
  layout?: unknown;
  /** the HTML page (kind "html") */
  html?: string;
  /** file names for messages */
  baseSource?: string;
  layoutSource?: string;
  htmlSource?: string;
}

/** Checks the base PDF and the layout/HTML with precise errors; returns the template ready to store or render. */
export async function buildTemplate(src: TemplateSource): Promise<Template> {
  checkTemplateName(src.name);
  if ((src.layout === undefined) === (src.html === undefined))
    throw renderError("BAD_TEMPLATE", `template ${src.name}: give exactly one of a layout (--layout layout.json) or an HTML page (--html page.html)`);
  const doc = await loadBasePdf(src.base, src.baseSource ?? "base PDF");
  const info = baseInfo(doc);
  if (src.layout !== undefined) {
    const layout = validateLayout(src.layout, info, src.layoutSource ?? "layout.json");
    checkFormNames(formFieldNames(doc), layout.form, src.layoutSource ?? "layout.json");
    return { name: src.name, kind: "layout", base: src.base, layout, pages: info.pageCount };
  }
  try {
    Mustache.parse(src.html!);
  } catch (err) {
    throw renderError("BAD_TEMPLATE", `${src.htmlSource ?? "page.html"}: Mustache syntax error: ${(err as Error).message}`, { cause: err });
  }
  return { name: src.name, kind: "html", base: src.base, html: src.html, pages: info.pageCount };
}

const MAGIC = "DOCCTL-TEMPLATE/1\n";

/** Header of a stored bundle: everything but the base PDF. */
interface BundleHeader {
  name: string;
  kind: TemplateKind;
  pages: number;
  layout?: Layout;
  html?: string;
}

/**
 * One object per template, so a template changes atomically and its object digest is its version:
 * `DOCCTL-TEMPLATE/1\n`, one line of JSON (the header), `\n`, then the base PDF's bytes.
 */
export function encodeBundle(t: Template): Uint8Array {
  const header: BundleHeader = { name: t.name, kind: t.kind, pages: t.pages, layout: t.layout, html: t.html };
  const head = new TextEncoder().encode(`${MAGIC}${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.length + t.base.length);
  out.set(head, 0);
  out.set(t.base, head.length);
  return out;
}

/** Reads a bundle back; BAD_TEMPLATE when the object is not one. */
export function decodeBundle(bytes: Uint8Array, what = "template object"): Template {
  const magic = new TextEncoder().encode(MAGIC);
  const bad = (why: string) => renderError("BAD_TEMPLATE", `${what} is not a docctl template bundle (${why}); store templates with \`docctl template put\``);
  if (bytes.length < magic.length || !magic.every((b, i) => bytes[i] === b)) throw bad("wrong magic");
  const nl = bytes.indexOf(10, magic.length);
  if (nl < 0) throw bad("no header");
  let header: BundleHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(magic.length, nl)));
  } catch {
    throw bad("unreadable header");
  }
  if (header.kind !== "layout" && header.kind !== "html") throw bad(`unknown kind ${JSON.stringify(header.kind)}`);
  return { name: header.name, kind: header.kind, pages: header.pages, layout: header.layout, html: header.html, base: bytes.slice(nl + 1) };
}
