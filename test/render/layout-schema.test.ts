import { describe, expect, test } from "bun:test";
import { layoutProblems } from "../../core/render/layout.ts";

// Layout shapes are TypeBox schemas checked by ajv (core/render/layout/types.ts, shape.ts); these are
// the messages the hand checks gave before (taken from them, commit before the change), one case per
// kind of problem, so a schema's wording can never drift from them. Order within a layout may differ
// (the schema reports a part's shape first, then the code its cross-field rules), so lists are sorted.
const base = { pageCount: 2, pageSizes: [[595, 842], [595, 842]] as [number, number][] };
const f = (extra: Record<string, unknown>) => ({ field: "a", page: 1, x: 10, y: 10, ...extra });
const t = (extra: Record<string, unknown>) => ({ rows: "r", page: 1, top: 10, bottom: 100, columns: [{ field: "a", x: 1, width: 9 }], ...extra });
const cases: [string, unknown][] = [
  ["unknown kind", { fields: [f({ kind: "circle" })] }],
  ["rotate", { fields: [f({ rotate: 45 })] }],
  ["image box", { fields: [{ kind: "image", field: "img", page: 1, x: 1, y: 1, width: 0 }] }],
  ["image asset type", { fields: [{ kind: "image", asset: 5, page: 1, x: 1, y: 1, width: 5, height: 5 }] }],
  ["image fit", { fields: [{ kind: "image", field: "i", page: 1, x: 1, y: 1, width: 5, height: 5, fit: "zoom", optional: 1 }] }],
  ["barcode", { fields: [{ kind: "barcode", field: "c", page: 1, x: 1, y: 1, width: 3, height: 4, showText: "y", size: 0.1, font: 7 }] }],
  ["barcode font", { fields: [{ kind: "barcode", field: "c", page: 1, x: 1, y: 1, type: "ean13", width: 30, height: 40, font: "Comic" }] }],
  ["line", { fields: [{ kind: "line", page: 1, x: 1, y: 1, x2: "3", stroke: "none", lineWidth: -1, rotate: 90 }] }],
  ["rect", { fields: [{ kind: "rect", page: 1, x: 1, y: 1, width: -1, height: 2, fill: "red", stroke: "none", radius: -2 }] }],
  ["ellipse", { fields: [{ kind: "ellipse", page: 1, x: 1, y: 1, width: 1, height: 2, radius: 2 }] }],
  ["qr", { fields: [{ kind: "qr", text: "x", page: 1, x: 1, y: 1, qrSize: 4, ecLevel: "X", color: "blue" }] }],
  ["qr missing", { fields: [{ kind: "qr", page: 1, x: 1, y: 1 }] }],
  ["style", { fields: [f({ align: "middle", overflow: "cut", maxLines: 0, size: "9", color: "#12", lineHeight: 0.1, minSize: 0, maxWidth: 0 })] }],
  ["source", { fields: [{ field: "", page: 1, x: 1, y: 1, optional: "yes", default: 5, tz: 5, format: 5, locale: 5 }] }],
  ["text type", { fields: [{ text: 5, page: 1, x: 1, y: 1 }] }],
  ["font list", { fields: [f({ font: [] }), f({ font: ["sans", 3] }), f({ font: 3 })] }],
  ["page type", { fields: [f({ page: "2" }), f({ page: 1.5 }), { field: "a", x: 1, y: 1 }] }],
  ["missing xy", { fields: [{ field: "a", page: 1 }] }],
  ["flow", { fields: [f({ flow: "yes", orphans: 0 }), f({ flow: true, maxWidth: 100, bottom: 200, orphans: 0, widows: 1.5, continueTop: "x", continuePage: 0 })] }],
  ["repeat", { fields: [f({ repeat: "x" })] }],
  ["form", { form: { fields: "x", required: 1, font: "Comic", extra: 1 } }],
  ["form values", { form: { fields: { Name: "", Other: 5, Ok: "a.b" } } }],
  ["form type", { form: 5 }],
  ["defaults", { defaults: 3 }],
  ["defaults keys", { defaults: { foo: 1, size: 0, align: "justify", font: "Comic" } }],
  ["root keys", { colour: 1, locale: 5, version: "1", fields: {}, tables: 3, omitPages: "1" }],
  ["root locale", { locale: "xx-NOPE-123456789" }],
  ["omit", { omitPages: ["1", 1.5, 0] }],
  ["table", { tables: [{ page: "1", columns: [5, { x: 1 }, { field: "a", x: 1, width: 9, maxWidth: 3, extra: 1 }], after: "x", rowGap: -1, minRowHeight: "1", allowEmpty: 0, continueTop: "a", foo: 1 }] }],
  ["table after", { tables: [t({ after: [5, { text: "x", x: "1" }, { field: "a", x: 1, dy: 1, bad: 1 }] })] }],
  ["table type", { tables: [5, "x"] }],
  ["fields item null", { fields: [null, []] }],
  ["valid", { version: 1, $schema: "x", comment: "c", fields: [f({ comment: 1, rotate: 90 })], tables: [t({ comment: "x" })], form: { comment: 1 } }],
];

// One case says more than before: "flow" also calls fields[0].orphans 0 no whole number (before, with
// flow off, it only said orphans needs flow).
const WANT: Record<string, string[]> = {
  "unknown kind": [
    "fields[0].kind: unknown kind \"circle\" (known: text, image, qr, barcode, line, rect, ellipse)"
  ],
  "rotate": [
    "fields[0].rotate: must be 0, 90, 180 or 270 (degrees clockwise; got 45)"
  ],
  "image box": [
    "fields[0].width: must be at least 1 (got 0)",
    "fields[0].height: is required (a number of points)"
  ],
  "image asset type": [
    "fields[0].asset: the template has no asset 5 (it has: none; add one with --asset NAME=FILE)"
  ],
  "image fit": [
    "fields[0].fit: must be \"contain\", \"cover\" or \"fill\" (got \"zoom\")",
    "fields[0].optional: must be true or false (got 1)"
  ],
  "barcode": [
    "fields[0].width: must be at least 4 (got 3)",
    "fields[0].type: must be one of code128, ean13, ean8, upca, upc-a, upce, upc-e, code39, codabar, itf14, gs1-128, sscc18, datamatrix, gs1datamatrix, pdf417, aztec, maxicode (got undefined)",
    "fields[0].showText: must be true or false (got \"y\")",
    "fields[0].size: must be at least 0.5 (got 0.1)",
    "fields[0].font: unknown font 7 (fonts: sans, sans-bold, mono)"
  ],
  "barcode font": [
    "fields[0].font: unknown font \"Comic\" (fonts: sans, sans-bold, mono)"
  ],
  "line": [
    "fields[0].rotate: unknown key (known here: kind, page, x, y, repeat, x2, y2, lineWidth, stroke)",
    "fields[0].x2: must be a number (got \"3\")",
    "fields[0].y2: is required (a number of points)",
    "fields[0].lineWidth: must be at least 0 (got -1)",
    "fields[0].stroke: must be \"#rrggbb\" or \"#rgb\" (got \"none\")"
  ],
  "rect": [
    "fields[0].radius: must be at least 0 (got -2)",
    "fields[0].width: must be at least 0 (got -1)",
    "fields[0].fill: must be \"#rrggbb\" or \"#rgb\" or \"none\" (got \"red\")"
  ],
  "ellipse": [
    "fields[0].radius: unknown key (known here: kind, page, x, y, repeat, rotate, width, height, lineWidth, stroke, fill)"
  ],
  "qr": [
    "fields[0].qrSize: must be at least 8 (got 4)",
    "fields[0].ecLevel: must be \"L\", \"M\", \"Q\" or \"H\" (got \"X\")",
    "fields[0].color: must be \"#rrggbb\" or \"#rgb\" (got \"blue\")"
  ],
  "qr missing": [
    "fields[0]: needs exactly one of \"field\" (a data path) or \"text\" (a Mustache text)",
    "fields[0].qrSize: is required (a number of points)"
  ],
  "style": [
    "fields[0].size: must be a number (got \"9\")",
    "fields[0].maxWidth: must be at least 1 (got 0)",
    "fields[0].minSize: must be at least 0.5 (got 0)",
    "fields[0].lineHeight: must be at least 0.5 (got 0.1)",
    "fields[0].maxLines: must be a whole number from 1 (got 0)",
    "fields[0].color: must be \"#rrggbb\" or \"#rgb\" (got \"#12\")",
    "fields[0].align: must be \"left\", \"center\", \"right\", \"start\", \"end\" or \"justify\" (got \"middle\")",
    "fields[0].overflow: must be \"wrap\", \"shrink\" or \"none\" (got \"cut\")"
  ],
  "source": [
    "fields[0].field: must be a data path string (got \"\")",
    "fields[0].tz: must be a time zone name",
    "fields[0].optional: must be true or false (got \"yes\")",
    "fields[0].default: must be a string (got a number)",
    "fields[0].format: must be a string like \"currency:EUR\"",
    "fields[0].locale: must be a locale string"
  ],
  "text type": [
    "fields[0].text: must be a string (got a number)"
  ],
  "font list": [
    "fields[0].font: must name at least one font",
    "fields[1].font: unknown font 3 (built in: sans, sans-bold, mono; the template's: none, add one with --font NAME=FILE.ttf)",
    "fields[2].font: unknown font 3 (built in: sans, sans-bold, mono; the template's: none, add one with --font NAME=FILE.ttf)"
  ],
  "page type": [
    "fields[0].page: must be a whole page number from 1 (got \"2\")",
    "fields[1].page: must be a whole page number from 1 (got 1.5)",
    "fields[2].page: must be a whole page number from 1 (got undefined)"
  ],
  "missing xy": [
    "fields[0].x: is required (a number of points)",
    "fields[0].y: is required (a number of points)"
  ],
  "flow": [
    "fields[0].flow: must be true or false (got \"yes\")",
    "fields[0].orphans: must be a whole number from 1 (got 0)",
    "fields[0].orphans: only applies to a flowing field; add \"flow\": true",
    "fields[1].continueTop: must be a number (got \"x\")",
    "fields[1].orphans: must be a whole number from 1 (got 0)",
    "fields[1].widows: must be a whole number from 1 (got 1.5)",
    "fields[1].continuePage: page 0 does not exist (the base PDF has 2 pages)"
  ],
  "repeat": [
    "fields[0].repeat: must be true or false (got \"x\")"
  ],
  "form": [
    "form.extra: unknown key (known here: fields, required, font)",
    "form.required: must be true or false (got 1)",
    "form.font: unknown font \"Comic\" (built in: sans, sans-bold, mono; the template's: none, add one with --font NAME=FILE.ttf)",
    "form.fields: must map form field names to data paths"
  ],
  "form values": [
    "form.fields.Name: must be a data path string (got \"\")",
    "form.fields.Other: must be a data path string (got 5)"
  ],
  "form type": [
    "form: must be an object (got a number)"
  ],
  "defaults": [
    "defaults: must be an object (got a number)"
  ],
  "defaults keys": [
    "defaults.foo: unknown key (known here: font, size, color, align, maxWidth, overflow, maxLines, minSize, lineHeight, hyphenate)",
    "defaults.font: unknown font \"Comic\" (built in: sans, sans-bold, mono; the template's: none, add one with --font NAME=FILE.ttf)",
    "defaults.size: must be at least 0.5 (got 0)"
  ],
  "root keys": [
    "colour: unknown key (known here: version, locale, defaults, fields, tables, omitPages, form)",
    "locale: must be a locale string",
    "version: unsupported version \"1\" (this docctl reads version 1)",
    "omitPages: must be an array (got a string)",
    "fields: must be an array (got an object)",
    "tables: must be an array (got a number)"
  ],
  "root locale": [
    "locale: \"xx-NOPE-123456789\" is not a locale tag (write e.g. \"de-DE\", \"ar-EG\", \"ja-JP\")"
  ],
  "omit": [
    "omitPages[0]: must be a whole page number from 1 (got \"1\")",
    "omitPages[1]: must be a whole page number from 1 (got 1.5)",
    "omitPages[2]: page 0 does not exist (the base PDF has 2 pages)"
  ],
  "table": [
    "tables[0].foo: unknown key (known here: rows, page, top, bottom, continuePage, continueTop, rowGap, minRowHeight, allowEmpty, columns, after)",
    "tables[0].rows: must be the data path of the rows array, e.g. \"items\" (got undefined)",
    "tables[0].page: must be a whole page number from 1 (got \"1\")",
    "tables[0].top: is required (a number of points)",
    "tables[0].bottom: is required (a number of points)",
    "tables[0].continueTop: must be a number (got \"a\")",
    "tables[0].rowGap: must be at least 0 (got -1)",
    "tables[0].minRowHeight: must be a number (got \"1\")",
    "tables[0].allowEmpty: must be true or false (got 0)",
    "tables[0].columns[0]: must be an object (got a number)",
    "tables[0].columns[1].width: is required (a number of points)",
    "tables[0].columns[1]: needs exactly one of \"field\" (a data path) or \"text\" (a Mustache text)",
    "tables[0].columns[2].extra: unknown key (known here: font, size, color, align, maxWidth, overflow, maxLines, minSize, lineHeight, hyphenate, field, text, optional, default, format, locale, tz, x, width)",
    "tables[0].columns[2].maxWidth: columns use \"width\" as their text box; remove maxWidth",
    "tables[0].after: must be an array (got a string)"
  ],
  "table after": [
    "tables[0].after[0]: must be an object (got a number)",
    "tables[0].after[1].x: must be a number (got \"1\")",
    "tables[0].after[1].dy: is required (a number of points)",
    "tables[0].after[2].bad: unknown key (known here: font, size, color, align, maxWidth, overflow, maxLines, minSize, lineHeight, hyphenate, field, text, optional, default, format, locale, tz, x, dy)"
  ],
  "table type": [
    "tables[0]: must be an object (got a number)",
    "tables[1]: must be an object (got a string)"
  ],
  "fields item null": [
    "fields[0]: must be an object (got null)",
    "fields[1]: must be an object (got an array)"
  ],
  "valid": []
};

describe("layout shape problems read as they always have", () => {
  for (const [name, layout] of cases)
    test(name, () => {
      expect([...layoutProblems(layout, base)].sort()).toEqual([...WANT[name]!].sort());
    });

  test("a flowing field's orphans that is no whole number is said once, and only with flow", () => {
    const p = layoutProblems({ fields: [{ field: "a", page: 1, x: 1, y: 1, flow: true, maxWidth: 50, bottom: 300, orphans: 0 }] }, base);
    expect(p).toEqual(["fields[0].orphans: must be a whole number from 1 (got 0)"]);
  });

  test("the first problem of several fields keeps the fields' order", () => {
    const p = layoutProblems({ fields: [{ field: "a", page: 1, x: "1", y: 1 }, { kind: "qr", text: "q", page: 1, x: 1, y: 1, qrSize: 2 }] }, base);
    expect(p).toEqual(['fields[0].x: must be a number (got "1")', "fields[1].qrSize: must be at least 8 (got 2)"]);
  });
});
