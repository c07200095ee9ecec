// A template: a base PDF plus a layout or an HTML page. Validation, and the single-object bundle it is stored as.
import Mustache from "mustache";
import { renderError } from "./errors.ts";
import { baseInfo, loadBasePdf } from "./base-pdf.ts";
import { checkFormNames, formFieldNames } from "./forms.ts";
import { BUILTIN_FONTS, type Layout, validateLayout } from "./layout.ts";
import { type TemplateFont, loadFonts, templateFace } from "./fonts.ts";
import { MAX_IMAGE_PIXELS, imageSize, imageType } from "./graphics.ts";
import { isSvg, parseSvg } from "./svg.ts";
import { type TemplateLimits, checkBasePdf } from "./limits.ts";

/** An image stored with a template (a logo, a signature), placed by layout fields with `"asset": NAME`. */
export interface TemplateAsset {
  name: string;
  bytes: Uint8Array;
}

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
  /** fonts the layout names besides the built-ins */
  fonts?: TemplateFont[];
  /** images the layout places by name */
  assets?: TemplateAsset[];
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
  /** fonts (`--font NAME=FILE.ttf`) */
  fonts?: TemplateFont[];
  /** images (`--asset NAME=FILE.png`) */
  assets?: TemplateAsset[];
  /** file names for messages */
  baseSource?: string;
  layoutSource?: string;
  htmlSource?: string;
}

/** Font and asset names: what a layout writes, so plain and portable. */
const ITEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks the base PDF (within `limits`), fonts, assets and the layout/HTML with precise errors; returns the template ready to store or render. */
export async function buildTemplate(src: TemplateSource, limits?: Partial<TemplateLimits>): Promise<Template> {
  checkTemplateName(src.name);
  if ((src.layout === undefined) === (src.html === undefined))
    throw renderError("BAD_TEMPLATE", `template ${src.name}: give exactly one of a layout (--layout layout.json) or an HTML page (--html page.html)`);
  await checkBasePdf(src.base, src.baseSource ?? "base PDF", limits);
  const doc = await loadBasePdf(src.base, src.baseSource ?? "base PDF");
  const info = baseInfo(doc);
  const fonts = src.fonts ?? [];
  const assets = src.assets ?? [];
  if ((fonts.length || assets.length) && src.html !== undefined)
    throw renderError("BAD_TEMPLATE", `template ${src.name}: fonts and assets are for layout templates; an HTML page embeds its own (CSS @font-face, data: images)`);
  await loadFonts();
  const seen = new Set<string>();
  for (const f of fonts) {
    const what = `--font ${f.name}=${f.source ?? "FILE"}`;
    if (!ITEM_NAME.test(f.name)) throw renderError("BAD_TEMPLATE", `${what}: a font name is letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`);
    if ((BUILTIN_FONTS as readonly string[]).includes(f.name)) throw renderError("BAD_TEMPLATE", `${what}: "${f.name}" is a built-in font; give yours another name`);
    if (seen.has(f.name)) throw renderError("BAD_TEMPLATE", `${what}: the font name "${f.name}" is given twice`);
    seen.add(f.name);
    try {
      templateFace(f);
    } catch (err) {
      throw renderError("BAD_TEMPLATE", `${what}: ${(err as Error).message}`, { cause: err });
    }
  }
  const seenAssets = new Set<string>();
  for (const a of assets) {
    if (!ITEM_NAME.test(a.name)) throw renderError("BAD_TEMPLATE", `--asset ${a.name}: an asset name is letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`);
    if (seenAssets.has(a.name)) throw renderError("BAD_TEMPLATE", `--asset ${a.name}: given twice`);
    seenAssets.add(a.name);
    if (/\.(p12|pfx)$/i.test(a.name)) {
      // a signing certificate (PKCS#12: a DER SEQUENCE); it is opened with the job's passphrase
      if (a.bytes[0] !== 0x30) throw renderError("BAD_TEMPLATE", `--asset ${a.name}: not a PKCS#12 (.p12/.pfx) file`);
      continue;
    }
    if (isSvg(a.bytes)) {
      // drawn as vector paths; what it cannot draw is refused now, not at every job
      parseSvg(new TextDecoder().decode(a.bytes), `--asset ${a.name}`);
      continue;
    }
    const type = imageType(a.bytes);
    if (!type) throw renderError("BAD_TEMPLATE", `--asset ${a.name}: not a PNG, JPEG or SVG image`);
    // decoded size checked now: a small file can claim gigapixels, and would fail every job later
    const size = imageSize(a.bytes);
    if (!size || !size.width || !size.height) throw renderError("BAD_TEMPLATE", `--asset ${a.name}: the ${type.toUpperCase()} has no readable width and height`);
    if (size.width * size.height > MAX_IMAGE_PIXELS) {
      throw renderError(
        "BAD_TEMPLATE",
        `--asset ${a.name}: the ${type.toUpperCase()} is ${size.width}×${size.height} pixels, more than ${MAX_IMAGE_PIXELS / 1e6} million (decoded it would take ${Math.round((size.width * size.height * 4) / 1024 / 1024)} MB); make it smaller`,
      );
    }
  }
  if (src.layout !== undefined) {
    const layout = validateLayout(src.layout, { ...info, fonts: fonts.map((f) => f.name), assets: assets.map((a) => a.name) }, src.layoutSource ?? "layout.json");
    checkFormNames(formFieldNames(doc), layout.form, src.layoutSource ?? "layout.json");
    return { name: src.name, kind: "layout", base: src.base, layout, pages: info.pageCount, fonts, assets };
  }
  try {
    Mustache.parse(src.html!);
  } catch (err) {
    throw renderError("BAD_TEMPLATE", `${src.htmlSource ?? "page.html"}: Mustache syntax error: ${(err as Error).message}`, { cause: err });
  }
  return { name: src.name, kind: "html", base: src.base, html: src.html, pages: info.pageCount };
}

const MAGIC = "DOCCTL-TEMPLATE/1\n";
const MAGIC2 = "DOCCTL-TEMPLATE/2\n";

/** Header of a stored bundle: everything but the files. */
interface BundleHeader {
  name: string;
  kind: TemplateKind;
  pages: number;
  layout?: Layout;
  html?: string;
  /** version 2: sizes of the files after the header, in order: base PDF, fonts, assets */
  baseSize?: number;
  fonts?: { name: string; source?: string; size: number }[];
  assets?: { name: string; size: number }[];
}

/**
 * One object per template, so a template changes atomically and its object digest is its version:
 * `DOCCTL-TEMPLATE/2\n`, one line of JSON (the header), `\n`, then the base PDF's bytes and each font's
 * and asset's bytes, their sizes in the header. Templates without fonts or assets are written as
 * version 1 (header, then the base PDF), which older workers read too.
 */
export function encodeBundle(t: Template): Uint8Array {
  const fonts = t.fonts ?? [];
  const assets = t.assets ?? [];
  const v2 = fonts.length > 0 || assets.length > 0;
  const header: BundleHeader = { name: t.name, kind: t.kind, pages: t.pages, layout: t.layout, html: t.html };
  if (v2) {
    header.baseSize = t.base.length;
    header.fonts = fonts.map((f) => ({ name: f.name, source: f.source, size: f.bytes.length }));
    header.assets = assets.map((a) => ({ name: a.name, size: a.bytes.length }));
  }
  const head = new TextEncoder().encode(`${v2 ? MAGIC2 : MAGIC}${JSON.stringify(header)}\n`);
  const files = [t.base, ...fonts.map((f) => f.bytes), ...assets.map((a) => a.bytes)];
  const out = new Uint8Array(head.length + files.reduce((n, f) => n + f.length, 0));
  out.set(head, 0);
  let o = head.length;
  for (const f of files) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** Reads a bundle back; BAD_TEMPLATE when the object is not one. */
export function decodeBundle(bytes: Uint8Array, what = "template object"): Template {
  const bad = (why: string) => renderError("BAD_TEMPLATE", `${what} is not a docctl template bundle (${why}); store templates with \`docctl template put\``);
  const is = (m: string) => {
    const magic = new TextEncoder().encode(m);
    return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  };
  const v2 = is(MAGIC2);
  if (!v2 && !is(MAGIC)) throw bad("wrong magic");
  const magic = new TextEncoder().encode(MAGIC);
  const nl = bytes.indexOf(10, magic.length);
  if (nl < 0) throw bad("no header");
  let header: BundleHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(magic.length, nl)));
  } catch {
    // SyntaxError: the bundle's header is not JSON, said as such
    throw bad("unreadable header");
  }
  if (header.kind !== "layout" && header.kind !== "html") throw bad(`unknown kind ${JSON.stringify(header.kind)}`);
  const t: Template = { name: header.name, kind: header.kind, pages: header.pages, layout: header.layout, html: header.html, base: bytes.slice(nl + 1) };
  if (!v2) return t;
  let o = nl + 1;
  const take = (n: unknown) => {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || o + n > bytes.length) throw bad("file sizes do not match the object");
    const part = bytes.slice(o, o + n);
    o += n;
    return part;
  };
  t.base = take(header.baseSize);
  t.fonts = (header.fonts ?? []).map((f) => ({ name: f.name, source: f.source, bytes: take(f.size) }));
  t.assets = (header.assets ?? []).map((a) => ({ name: a.name, bytes: take(a.size) }));
  return t;
}
