// The render plan: from layout + data + page sizes to "draw this text here" operations. Pure: no PDF, no I/O.
// The ops are in ./plan/ops.ts, a field's text in ./plan/field-text.ts, tables and flowing text in ./plan/blocks.ts.
import { renderError } from "./errors.ts";
import { dataPathName, getPath } from "./data.ts";
import { type BaseInfo, type FieldSpec, type Layout, type TextStyle, layoutDefaults } from "./layout.ts";
import type { MetricsSource } from "./text.ts";
import { EAN_TYPES, eanText } from "./codes.ts";
import type { Hyphenator } from "./hyphenate.ts";
import { hexColor, rotation, type CodeOp, type GraphicOp, type ImageOp, type RenderPlan, type TextOp } from "./plan/ops.ts";
import { fitChecked, linesToOps, prepared, resolveStyle, sourceText, type Prep } from "./plan/field-text.ts";
import { isRecord, planFlow, planTable, type PlannedBlock } from "./plan/blocks.ts";

export { hexColor } from "./plan/ops.ts";
export type { CodeOp, DrawOp, GraphicOp, ImageOp, RenderPlan, Rotation, ShapeOp, TextOp } from "./plan/ops.ts";

/** Works out every page and every line of text for `data` on a base with `base.pageSizes`. */
export function planLayout(
  layout: Layout,
  data: unknown,
  base: Required<Pick<BaseInfo, "pageCount" | "pageSizes">>,
  metrics: MetricsSource,
  hyphenator?: Hyphenator,
  tz?: string,
): RenderPlan {
  const defaults = { ...layoutDefaults, ...(layout.defaults ?? {}) };
  const ops: TextOp[] = [];
  const graphics: GraphicOp[] = [];
  const prep: Prep = { hyphenator, locale: layout.locale, tz };

  // Tables and flowing fields first: they decide how many continuation pages follow their page.
  const tables: PlannedBlock[] = [
    ...(layout.tables ?? []).map((t, i) => planTable(t, i, data, defaults, metrics, prep)),
    ...(layout.fields ?? []).flatMap((f, i) => (f.flow && (f.kind ?? "text") === "text" ? [planFlow(f, i, data, defaults, metrics, prep)] : [])),
  ];
  const pages: number[] = [];
  const firstOutputIndex: number[] = [];
  const omitted = new Set((layout.omitPages ?? []).map((n) => n - 1));
  for (let b = 0; b < base.pageCount; b++) {
    if (omitted.has(b)) continue;
    firstOutputIndex[b] = pages.length;
    pages.push(b);
    const t = tables.find((t) => t.page - 1 === b);
    if (t) {
      t.outputStart = pages.length - 1;
      for (let k = 0; k < t.continuationPages; k++) pages.push(t.continuePage - 1);
    }
  }
  for (const t of tables) for (const op of t.ops) ops.push({ ...op, page: t.outputStart + op.page });

  (layout.fields ?? []).forEach((f, i) => {
    if (f.flow) return; // planned above
    const where = `fields[${i}]`;
    const targets = f.repeat ? pages.flatMap((b, o) => (b === f.page - 1 ? [o] : [])) : [firstOutputIndex[f.page - 1]].filter((o) => o !== undefined);
    const kind = f.kind ?? "text";
    const style = resolveStyle(defaults, f);
    for (const o of targets) {
      const view = { ...(isRecord(data) ? data : {}), $page: o + 1, $pages: pages.length };
      if (kind === "text") {
        const text = prepared(sourceText(f, view, "data", where, data, prep), style, f, prep);
        const fitted = fitChecked(text, style, metrics, where, f);
        const lines = linesToOps(fitted, style, f.x, f.y, o, metrics);
        if (f.rotate) {
          const rot = rotation(f.rotate, f.x, f.y, style.maxWidth ?? Math.max(0, ...fitted.widths), fitted.height);
          // unaligned text without a box is measured from x: keep its box where the text is
          if (style.maxWidth === undefined && lines.length) rot.w = Math.max(...lines.map((l, k) => l.x - f.x + fitted.widths[k]));
          for (const l of lines) l.rot = rot;
        }
        ops.push(...lines);
      } else {
        const op = graphicOp(f, o, view, data, where, prep, defaults);
        if (!op) continue;
        graphics.push(op);
        let textOps: TextOp[] = [];
        let textHeight = 0;
        if (op.kind === "code" && op.showText && EAN_TYPES.has(op.type)) {
          // EAN/UPC: the GS1 layout, digits between (and outside) the guard bars, which reach down into the text line
          const t = eanText(op.type, op.value, where);
          const unit = op.width / (t.left + t.modules + t.right);
          const size = f.size ?? Math.max(4, Math.min(unit * 8.5, op.height * 0.3));
          op.ean = { text: t, textTop: size * 0.9, guardTop: size * 0.45 };
          const m = metrics(op.font);
          textOps = t.digits.map((d) => ({
            page: o,
            x: op.x + (t.left + d.center) * unit - (m.width(d.ch) * size) / 2,
            baseline: op.y + op.height - size * 0.12,
            text: d.ch,
            font: op.font,
            size,
            color: op.color,
          }));
          ops.push(...textOps);
        } else if (op.kind === "code" && op.showText) {
          // the human-readable text, centred under the bars
          const style = resolveStyle(defaults, { font: op.font, size: op.textSize, color: f.color, align: "center", maxWidth: op.width, overflow: "shrink", minSize: 4 });
          const fitted = fitChecked(op.value, style, metrics, where, f);
          textOps = linesToOps(fitted, style, op.x, op.y + op.height + 1, o, metrics);
          textHeight = 1 + fitted.height;
          ops.push(...textOps);
        }
        if (f.rotate && op.kind !== "line") {
          const w = op.kind === "rect" || op.kind === "ellipse" ? op.x2 - op.x : (op as ImageOp | CodeOp).width;
          const h = (op.kind === "rect" || op.kind === "ellipse" ? op.y2 - op.y : (op as ImageOp | CodeOp).height) + textHeight;
          op.rot = rotation(f.rotate, f.x, f.y, w, h);
          for (const t of textOps) t.rot = op.rot;
        }
      }
    }
  });
  return { pages, ops, graphics };
}

/** The op for an image, QR code, barcode, line or rectangle field; null for an optional one without a value. */
function graphicOp(f: FieldSpec, page: number, view: unknown, data: unknown, where: string, locale: Prep, defaults: typeof layoutDefaults & TextStyle): GraphicOp | null {
  const what = f.field !== undefined ? `${where} (field "${f.field}")` : f.asset !== undefined ? `${where} (asset "${f.asset}")` : where;
  switch (f.kind) {
    case "image": {
      if (f.asset !== undefined) return { kind: "image", page, x: f.x, y: f.y, width: f.width!, height: f.height!, fit: f.fit ?? "contain", asset: f.asset, where: what };
      const v = getPath(data, f.field!);
      if (v === undefined || v === null || v === "") {
        if (f.optional) return null;
        throw renderError("MISSING_FIELD", `${dataPathName("data", f.field!)} is missing (${where} needs an image: a data URL or base64 PNG/JPEG; or mark it "optional": true)`);
      }
      if (typeof v !== "string") throw renderError("BAD_FIELD_VALUE", `${dataPathName("data", f.field!)} must be a data URL or base64 string of a PNG or JPEG image for ${where} (got ${typeof v})`);
      return { kind: "image", page, x: f.x, y: f.y, width: f.width!, height: f.height!, fit: f.fit ?? "contain", data: v, where: what };
    }
    case "qr":
    case "barcode": {
      const value = sourceText(f, view, "data", where, data, locale);
      if (value === "") return null;
      const qr = f.kind === "qr";
      return {
        kind: "code",
        page,
        x: f.x,
        y: f.y,
        type: qr ? "qrcode" : f.type!,
        value,
        width: qr ? f.qrSize! : f.width!,
        height: qr ? f.qrSize! : f.height!,
        ecLevel: f.ecLevel,
        showText: f.showText ?? false,
        textSize: f.size ?? 8,
        font: f.font ?? defaults.font,
        color: hexColor(f.color ?? "#000000"),
        where: what,
      };
    }
    case "line":
    case "rect":
    case "ellipse": {
      const stroke = f.stroke === "none" ? null : hexColor(f.stroke ?? "#000000");
      const fill = f.fill === undefined || f.fill === "none" ? null : hexColor(f.fill);
      const x2 = f.kind === "line" ? f.x2! : f.x + f.width!;
      const y2 = f.kind === "line" ? f.y2! : f.y + f.height!;
      return { kind: f.kind, page, x: f.x, y: f.y, x2, y2, lineWidth: f.lineWidth ?? 1, stroke, fill, ...(f.radius ? { radius: f.radius } : {}) };
    }
  }
  return null;
}
