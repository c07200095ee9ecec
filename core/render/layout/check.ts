// The small helpers the code checks of a layout share (the shape itself is the schemas' in types.ts).
// Each check reports through `add(path, message)`; none throws, so validation lists every problem at once.

/** Reports one problem at a path of the layout ("fields[3].x"). */
export type Add = (path: string, msg: string) => void;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
