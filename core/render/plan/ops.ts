// The render plan's operations: what the layout engine draws, in points from a page's top-left corner,
// and the small helpers that make their parts (colours, rotations). Types only and pure helpers.
import type { FontSpec } from "../layout.ts";
import type { EanText } from "../codes.ts";

type RGB = [number, number, number];

/** One line of text to draw. `baseline` is measured in points from the top of the page. */
export interface TextOp {
  kind?: "text";
  /** 0-based index into `RenderPlan.pages` */
  page: number;
  x: number;
  baseline: number;
  text: string;
  font: FontSpec;
  size: number;
  /** r, g, b in 0..1 */
  color: RGB;
  /** justified text: extra points after each space */
  wordSpacing?: number;
  rot?: Rotation;
}

/** A field turned clockwise: drawn unturned with its box's top-left at (x, y), size w x h, then turned so the turned box's top-left is (x, y). */
export interface Rotation {
  angle: 90 | 180 | 270;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A picture in a box (points from the page's top-left corner). */
export interface ImageOp {
  kind: "image";
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  fit: "contain" | "cover" | "fill";
  /** an asset of the template, or a data URL / base64 from the data */
  asset?: string;
  data?: string;
  /** who asked for it, for messages ("fields[3] (field \"logo\")") */
  where: string;  rot?: Rotation;
}

/** A QR code or barcode of `value`, encoded when drawn. */
export interface CodeOp {
  kind: "code";
  page: number;
  x: number;
  y: number;
  /** "qrcode" or a barcode type */
  type: string;
  value: string;
  width: number;
  height: number;
  ecLevel?: "L" | "M" | "Q" | "H";
  showText: boolean;
  textSize: number;
  /** EAN/UPC with showText: the GS1 layout of bars and digits (the box holds both) */
  ean?: { text: EanText; textTop: number; guardTop: number };
  font: FontSpec;
  color: RGB;
  where: string;  rot?: Rotation;
}

/** A line, rectangle (corners rounded by `radius`) or ellipse (in the box x..x2, y..y2). */
export interface ShapeOp {
  kind: "line" | "rect" | "ellipse";
  radius?: number;
  page: number;
  x: number;
  y: number;
  x2: number;
  y2: number;
  lineWidth: number;
  stroke: RGB | null;
  fill: RGB | null;
  rot?: Rotation;
}

/** Anything drawn besides text. */
export type GraphicOp = ImageOp | CodeOp | ShapeOp;
export type DrawOp = TextOp | GraphicOp;

export interface RenderPlan {
  /** the output document: for each page, the 0-based base page it is a copy of */
  pages: number[];
  /** lines of text */
  ops: TextOp[];
  /** images, codes, lines and boxes: drawn under the text, in layout order */
  graphics: GraphicOp[];
}

/** "#rgb" / "#rrggbb" to 0..1 components. */
export function hexColor(hex: string): [number, number, number] {
  let h = hex.slice(1);
  if (h.length === 3) h = h.split("").map((c) => c + c).join("");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** The rotation of a box turned by `angle` degrees clockwise, its turned top-left at (x, y). */
export function rotation(angle: 0 | 90 | 180 | 270, x: number, y: number, w: number, h: number): Rotation {
  return { angle: angle as 90 | 180 | 270, x, y, w, h };
}
