// DOCCTL_LIMITS values read back: a limit, or what is wrong with it (no JSON.parse cast).
import { expect, test } from "bun:test";
import { parseLimit } from "../../core/runtime/protocol/jobcontrol.ts";

test("a limit written by docctl limit is read back as it is", () => {
  const v = { v: 1 as const, handler: "pdf", concurrency: 2, rate: { count: 5, per_ms: 1000 } };
  expect(parseLimit(JSON.stringify(v), "pdf")).toEqual({ ok: true, value: v });
  expect(parseLimit(JSON.stringify({ v: 1, handler: "pdf" }), "pdf")).toEqual({ ok: true, value: { v: 1, handler: "pdf" } });
});

test("what is not a limit is said, naming the key and the field", () => {
  const p = (text: string) => {
    const r = parseLimit(text, "pdf");
    return r.ok ? "ok" : r.problem;
  };
  expect(p("{oops")).toBe(`limit "pdf" is not JSON`);
  expect(p("[1]")).toBe(`limit "pdf" is not a JSON object`);
  expect(p(JSON.stringify({ v: 2, handler: "pdf" }))).toBe(`limit "pdf" has version 2, not 1`);
  expect(p(JSON.stringify({ v: 1 }))).toBe(`limit "pdf" has no "handler"`);
  expect(p(JSON.stringify({ v: 1, handler: "pdf", concurrency: 0 }))).toContain(`"concurrency" 0`);
  expect(p(JSON.stringify({ v: 1, handler: "pdf", rate: { count: 1 } }))).toContain(`"rate" {"count":1}`);
});

test("each field's problem is said exactly (the schema's messages)", () => {
  const p = (v: unknown) => {
    const r = parseLimit(JSON.stringify(v), "pdf");
    return r.ok ? "ok" : r.problem;
  };
  expect(p({ v: 1, handler: 7 })).toBe(`limit "pdf" has no "handler"`);
  expect(p({ handler: "pdf" })).toBe(`limit "pdf" has version undefined, not 1`);
  expect(p({ v: 1, handler: "pdf", concurrency: 1.5 })).toBe(`limit "pdf" has "concurrency" 1.5: a whole number of at least 1 is needed`);
  expect(p({ v: 1, handler: "pdf", rate: null })).toBe(`limit "pdf" has "rate" null: {count, per_ms}: a whole count of at least 1 per a period over 0 ms is needed`);
  expect(p({ v: 1, handler: "pdf", rate: { count: 2, per_ms: 0 } })).toBe(`limit "pdf" has "rate" {"count":2,"per_ms":0}: {count, per_ms}: a whole count of at least 1 per a period over 0 ms is needed`);
  expect(p("limit")).toBe(`limit "pdf" is not a JSON object`);
});
