// SVG to PDF vector content: paths and basic shapes with fill, stroke and transforms, so a logo stays
// sharp and small (never rasterised). Path data is normalised by svgpath (absolute, arcs to curves,
// short curves expanded); the XML is read by saxes. What cannot be drawn faithfully (text, embedded
// images, gradients, transparency, <use>, clipping) is refused by name. Pure: text in, operators out.
import { SaxesParser, type SaxesTagNS } from "saxes";
import svgpath from "svgpath";
import { renderError } from "./errors.ts";

/** A parsed SVG: its user-space size (viewBox) and PDF operators drawing it in that space, y downwards. */
export interface SvgDrawing {
  width: number;
  height: number;
  /** content-stream operators; the caller maps user space (origin top-left, y down) onto the page */
  content: string;
}

/** Whether bytes look like an SVG document. */
export function isSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).trimStart();
  return head.startsWith("<svg") || ((head.startsWith("<?xml") || head.startsWith("<!--") || head.startsWith("<!DOCTYPE")) && /<svg[\s>]/.test(new TextDecoder().decode(bytes.subarray(0, 4096))));
}

const SKIP = new Set(["title", "desc", "metadata", "defs", "style", "sodipodi:namedview", "namedview"]);
const SHAPES = new Set(["path", "rect", "circle", "ellipse", "line", "polyline", "polygon"]);
const NAMED: Record<string, string> = {
  black: "#000000", white: "#ffffff", red: "#ff0000", green: "#008000", blue: "#0000ff", yellow: "#ffff00", gray: "#808080", grey: "#808080",
  silver: "#c0c0c0", maroon: "#800000", purple: "#800080", fuchsia: "#ff00ff", lime: "#00ff00", olive: "#808000", navy: "#000080", teal: "#008080",
  aqua: "#00ffff", orange: "#ffa500", darkgray: "#a9a9a9", darkgrey: "#a9a9a9", lightgray: "#d3d3d3", lightgrey: "#d3d3d3",
};

interface Style {
  fill: string | null;
  stroke: string | null;
  strokeWidth: number;
  fillRule: "nonzero" | "evenodd";
}

/** Parses an SVG document into PDF operators; BAD_TEMPLATE (or `code`) naming `where` and the element for what it cannot draw. */
export function parseSvg(text: string, where: string, code: "BAD_TEMPLATE" | "BAD_FIELD_VALUE" = "BAD_TEMPLATE"): SvgDrawing {
  const fail = (msg: string): never => {
    throw renderError(code, `${where}: ${msg}`);
  };
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: { style: Style; skip: boolean }[] = [];
  let out = "";
  let size: { width: number; height: number } | undefined;
  let depth = 0;
  parser.on("opentag", (tag: SaxesTagNS) => {
    const name = tag.local ?? tag.name;
    const parent = stack[stack.length - 1];
    const at = (k: string) => attr(tag, k);
    if (parent?.skip || SKIP.has(name) || (tag.uri && tag.uri !== "http://www.w3.org/2000/svg")) {
      stack.push({ style: parent?.style ?? defaultStyle(), skip: true });
      return;
    }
    if (!size) {
      if (name !== "svg") fail(`the root element is <${name}>, not <svg>`);
      const vb = at("viewBox")?.trim().split(/[\s,]+/).map(Number);
      const w = length(at("width"));
      const h = length(at("height"));
      if (vb && vb.length === 4 && vb.every(Number.isFinite) && vb[2] > 0 && vb[3] > 0) {
        size = { width: vb[2], height: vb[3] };
        out += `1 0 0 1 ${n(-vb[0])} ${n(-vb[1])} cm\n`;
      } else if (w && h) size = { width: w, height: h };
      else fail(`the <svg> element needs a viewBox or a width and height`);
    } else if (!SHAPES.has(name) && name !== "g" && name !== "svg") {
      fail(`<${name}> is not supported (line ${parser.line}); docctl draws paths and basic shapes: convert text to paths, and leave out images, gradients, <use> and clipping`);
    }
    for (const k of ["opacity", "fill-opacity", "stroke-opacity"]) {
      const v = styleValue(tag, k);
      if (v !== undefined && Number(v) !== 1) fail(`<${name}> ${k}="${v}" (line ${parser.line}): transparency is not supported`);
    }
    const style = inherit(parent?.style ?? defaultStyle(), tag, fail);
    stack.push({ style, skip: false });
    depth++;
    out += "q\n";
    const t = at("transform");
    if (t) out += `${transform(t, fail).map(n).join(" ")} cm\n`;
    if (SHAPES.has(name)) out += shape(name, tag, style, fail);
  });
  parser.on("closetag", () => {
    const top = stack.pop();
    if (top && !top.skip) {
      out += "Q\n";
      depth--;
    }
  });
  try {
    parser.write(text).close();
  } catch (err) {
    if ((err as { code?: string }).code) throw err;
    fail(`not a readable SVG: ${(err as Error).message}`);
  }
  if (!size) fail(`no <svg> element`);
  return { ...size!, content: out };
}

function defaultStyle(): Style {
  return { fill: "#000000", stroke: null, strokeWidth: 1, fillRule: "nonzero" };
}

function attr(tag: SaxesTagNS, name: string): string | undefined {
  const a = tag.attributes[name] as { value: string } | string | undefined;
  return typeof a === "string" ? a : a?.value;
}

/** A presentation value from the style attribute (wins) or the attribute of that name. */
function styleValue(tag: SaxesTagNS, name: string): string | undefined {
  const style = attr(tag, "style");
  if (style)
    for (const decl of style.split(";")) {
      const i = decl.indexOf(":");
      if (i > 0 && decl.slice(0, i).trim() === name) return decl.slice(i + 1).trim();
    }
  return attr(tag, name);
}

function inherit(parent: Style, tag: SaxesTagNS, fail: (m: string) => never): Style {
  const s = { ...parent };
  const fill = styleValue(tag, "fill");
  if (fill !== undefined) s.fill = colour(fill, fail);
  const stroke = styleValue(tag, "stroke");
  if (stroke !== undefined) s.stroke = colour(stroke, fail);
  const sw = styleValue(tag, "stroke-width");
  if (sw !== undefined) s.strokeWidth = length(sw) ?? s.strokeWidth;
  const rule = styleValue(tag, "fill-rule");
  if (rule === "evenodd" || rule === "nonzero") s.fillRule = rule;
  return s;
}

function colour(v: string, fail: (m: string) => never): string | null {
  const c = v.trim().toLowerCase();
  if (c === "none" || c === "transparent") return null;
  if (c === "currentcolor") return "#000000";
  if (/^#[0-9a-f]{6}$/.test(c)) return c;
  if (/^#[0-9a-f]{3}$/.test(c)) return `#${c[1]}${c[1]}${c[2]}${c[2]}${c[3]}${c[3]}`;
  const rgb = /^rgb\(\s*(\d+%?)\s*,?\s*(\d+%?)\s*,?\s*(\d+%?)\s*\)$/.exec(c);
  if (rgb) return `#${rgb.slice(1).map((x) => Math.round(x.endsWith("%") ? (Number(x.slice(0, -1)) * 255) / 100 : Math.min(255, Number(x))).toString(16).padStart(2, "0")).join("")}`;
  if (NAMED[c]) return NAMED[c];
  if (c.startsWith("url(")) fail(`the paint ${JSON.stringify(v)} (a gradient or pattern) is not supported; use plain colours`);
  return fail(`unknown colour ${JSON.stringify(v)} (use #rrggbb, rgb(r, g, b) or a basic colour name)`);
}

function rgbOps(hex: string, op: "rg" | "RG"): string {
  return `${[1, 3, 5].map((i) => n(parseInt(hex.slice(i, i + 2), 16) / 255)).join(" ")} ${op}\n`;
}

function length(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*(px|pt|mm|cm|in)?\s*$/i.exec(v);
  if (!m) return undefined;
  const k = { px: 1, pt: 4 / 3, mm: 96 / 25.4, cm: 96 / 2.54, in: 96 }[(m[2] ?? "px").toLowerCase() as "px"] ?? 1;
  return Number(m[1]) * k;
}

/** An SVG transform list as one matrix [a b c d e f]. */
export function transform(t: string, fail: (m: string) => never): number[] {
  let m = [1, 0, 0, 1, 0, 0];
  const mul = (a: number[], b: number[]) => [
    a[0] * b[0] + a[2] * b[1],
    a[1] * b[0] + a[3] * b[1],
    a[0] * b[2] + a[2] * b[3],
    a[1] * b[2] + a[3] * b[3],
    a[0] * b[4] + a[2] * b[5] + a[4],
    a[1] * b[4] + a[3] * b[5] + a[5],
  ];
  const re = /(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)/g;
  let found = false;
  for (let x = re.exec(t); x; x = re.exec(t)) {
    found = true;
    const v = x[2].trim().split(/[\s,]+/).filter(Boolean).map(Number);
    const rad = ((v[0] ?? 0) * Math.PI) / 180;
    let step: number[];
    switch (x[1]) {
      case "matrix":
        step = v.length === 6 ? v : [1, 0, 0, 1, 0, 0];
        break;
      case "translate":
        step = [1, 0, 0, 1, v[0] ?? 0, v[1] ?? 0];
        break;
      case "scale":
        step = [v[0] ?? 1, 0, 0, v[1] ?? v[0] ?? 1, 0, 0];
        break;
      case "rotate": {
        const r = [Math.cos(rad), Math.sin(rad), -Math.sin(rad), Math.cos(rad), 0, 0];
        step = v.length >= 3 ? mul(mul([1, 0, 0, 1, v[1], v[2]], r), [1, 0, 0, 1, -v[1], -v[2]]) : r;
        break;
      }
      case "skewX":
        step = [1, 0, Math.tan(rad), 1, 0, 0];
        break;
      default:
        step = [1, Math.tan(rad), 0, 1, 0, 0];
    }
    if (step.some((k) => !Number.isFinite(k))) fail(`transform ${JSON.stringify(t)} has a bad number`);
    m = mul(m, step);
  }
  if (!found && t.trim()) fail(`transform ${JSON.stringify(t)} is not understood`);
  return m;
}

function num(tag: SaxesTagNS, k: string): number {
  return length(attr(tag, k)) ?? 0;
}

/** A basic shape or path as PDF path operators, then painted. */
function shape(name: string, tag: SaxesTagNS, style: Style, fail: (m: string) => never): string {
  let d: string;
  switch (name) {
    case "path":
      d = attr(tag, "d") ?? "";
      break;
    case "rect": {
      const [x, y, w, h] = ["x", "y", "width", "height"].map((k) => num(tag, k));
      let rx = length(attr(tag, "rx"));
      let ry = length(attr(tag, "ry"));
      rx = Math.min(rx ?? ry ?? 0, w / 2);
      ry = Math.min(ry ?? rx, h / 2);
      d = rx > 0 && ry > 0
        ? `M${x + rx},${y}H${x + w - rx}A${rx},${ry} 0 0 1 ${x + w},${y + ry}V${y + h - ry}A${rx},${ry} 0 0 1 ${x + w - rx},${y + h}H${x + rx}A${rx},${ry} 0 0 1 ${x},${y + h - ry}V${y + ry}A${rx},${ry} 0 0 1 ${x + rx},${y}Z`
        : `M${x},${y}H${x + w}V${y + h}H${x}Z`;
      break;
    }
    case "circle":
    case "ellipse": {
      const [cx, cy] = [num(tag, "cx"), num(tag, "cy")];
      const rx = name === "circle" ? num(tag, "r") : num(tag, "rx");
      const ry = name === "circle" ? rx : num(tag, "ry");
      d = `M${cx - rx},${cy}A${rx},${ry} 0 1 0 ${cx + rx},${cy}A${rx},${ry} 0 1 0 ${cx - rx},${cy}Z`;
      break;
    }
    case "line":
      d = `M${num(tag, "x1")},${num(tag, "y1")}L${num(tag, "x2")},${num(tag, "y2")}`;
      break;
    default: {
      const pts = (attr(tag, "points") ?? "").trim().split(/[\s,]+/).filter(Boolean).map(Number);
      d = pts.length >= 2 ? `M${pts.slice(0, 2).join(",")}L${pts.slice(2).join(" ")}${name === "polygon" ? "Z" : ""}` : "";
    }
  }
  let ops = "";
  try {
    svgpath(d).abs().unarc().unshort().iterate((seg: (string | number)[], _i: number, x: number, y: number) => {
      const [c, ...a] = seg as [string, ...number[]];
      switch (c) {
        case "M":
          ops += `${n(a[0])} ${n(a[1])} m\n`;
          break;
        case "L":
          ops += `${n(a[0])} ${n(a[1])} l\n`;
          break;
        case "H":
          ops += `${n(a[0])} ${n(y)} l\n`;
          break;
        case "V":
          ops += `${n(x)} ${n(a[0])} l\n`;
          break;
        case "C":
          ops += `${a.map(n).join(" ")} c\n`;
          break;
        case "Q":
          // a quadratic curve as the cubic through the same points
          ops += `${n(x + (2 / 3) * (a[0] - x))} ${n(y + (2 / 3) * (a[1] - y))} ${n(a[2] + (2 / 3) * (a[0] - a[2]))} ${n(a[3] + (2 / 3) * (a[1] - a[3]))} ${n(a[2])} ${n(a[3])} c\n`;
          break;
        case "Z":
        case "z":
          ops += "h\n";
          break;
      }
    });
  } catch (err) {
    fail(`<${name}> has path data that cannot be read: ${(err as Error).message}`);
  }
  if (!ops) return "";
  const fill = name === "line" || name === "polyline" ? (style.fill && name === "polyline" ? style.fill : null) : style.fill;
  const stroke = style.stroke && style.strokeWidth > 0 ? style.stroke : null;
  if (!fill && !stroke) return "";
  let paint = "";
  if (fill) paint += rgbOps(fill, "rg");
  if (stroke) paint += `${rgbOps(stroke, "RG")}${n(style.strokeWidth)} w\n`;
  const even = style.fillRule === "evenodd" ? "*" : "";
  return `${paint}${ops}${fill && stroke ? `B${even}` : fill ? `f${even}` : "S"}\n`;
}

function n(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) ? "0" : String(r);
}
