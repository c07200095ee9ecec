// The layout format (where each data field lands on the base PDF): its types in layout/types.ts, its
// validation in layout/validate.ts (root and form), layout/fields.ts, layout/tables.ts. Pure, no I/O.
export * from "./layout/types.ts";
export { validateLayout, layoutProblems } from "./layout/validate.ts";
