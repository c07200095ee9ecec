// The schema formatter (pure: ajv errors in, docctl messages out) and the messages of the schemas built on it.
import { describe as group, expect, test } from "bun:test";
import { Type } from "@sinclair/typebox";
import type { ErrorObject } from "ajv";
import { encode } from "@msgpack/msgpack";
import { checker, formatProblems, plainLabel, swapNodes } from "../../core/runtime/protocol/schema.ts";
import { TokenFastSchema, TokenSchema } from "../../core/runtime/protocol/token.ts";
import { Kind } from "@sinclair/typebox";
import { decodeJob } from "../../core/runtime/protocol/codec.ts";
import { backoffProblem } from "../../core/runtime/protocol/backoff.ts";
import { tokenProblem } from "../../core/runtime/protocol/subjects.ts";

const err = (e: Partial<ErrorObject> & Pick<ErrorObject, "keyword" | "schemaPath">): ErrorObject => ({ instancePath: "", params: {}, ...e }) as ErrorObject;

group("formatProblems (pure)", () => {
  const schema = Type.Object({
    a: Type.Integer({ problem: { maximum: "{at} is {value}, over {limit}", "*": "{at} must be a whole number, got {json}" } }),
    list: Type.Array(Type.Object({ name: Type.String({ problem: "{at} must be a string (got {got})" }) }), { problem: { type: "{at} must be a list" } }),
    free: Type.Number(),
  });

  test("a node's template fills in where, what was found and the bound", () => {
    const data = { a: 9, list: [] };
    const e = err({ keyword: "maximum", schemaPath: "#/properties/a/maximum", instancePath: "/a", params: { limit: 5 } });
    expect(formatProblems(schema, [e], data, plainLabel)).toEqual(["a is 9, over 5"]);
    expect(formatProblems(schema, [{ ...e, keyword: "type" }], data, (p) => `field "${p.join(".")}"`)).toEqual([`field "a" must be a whole number, got 9`]);
  });

  test("an error inside an array item is said at the item's path, with the label the decoder gives", () => {
    const data = { a: 1, list: [{ name: "x" }, { name: 7 }] };
    const e = err({ keyword: "type", schemaPath: "#/properties/list/items/properties/name/type", instancePath: "/list/1/name" });
    expect(formatProblems(schema, [e], data, plainLabel)).toEqual(["list[1].name must be a string (got a number)"]);
  });

  test("a missing property is that property's problem", () => {
    const e = err({ keyword: "required", schemaPath: "#/required", params: { missingProperty: "a" } });
    expect(formatProblems(schema, [e], {}, plainLabel)).toEqual(["a must be a whole number, got undefined"]);
  });

  test("errors come out in the schema's declaration order, each message once", () => {
    const data = { a: "x", list: 3, free: "y" };
    const errors = [
      err({ keyword: "type", schemaPath: "#/properties/free/type", instancePath: "/free", message: "must be number" }),
      err({ keyword: "type", schemaPath: "#/properties/list/type", instancePath: "/list" }),
      err({ keyword: "type", schemaPath: "#/properties/a/type", instancePath: "/a" }),
      err({ keyword: "type", schemaPath: "#/properties/a/type", instancePath: "/a" }),
    ];
    expect(formatProblems(schema, errors, data, plainLabel)).toEqual([`a must be a whole number, got "x"`, "list must be a list", "free must be number"]);
  });

  test("a checker never throws: when wording fails, ajv's own words at the JSON path are the answer", () => {
    const c = checker(schema);
    const out = c.problems({ a: "x", list: [], free: 1 }, () => {
      throw new Error("label broke");
    });
    expect(out).toEqual(["/a must be integer (label broke)"]);
  });

  test("a node without a template falls back to ajv's words at the labelled place", () => {
    const e = err({ keyword: "type", schemaPath: "#/properties/free/type", instancePath: "/free", message: "must be number" });
    expect(formatProblems(schema, [e], { free: "x" }, (p) => `<${p.join("/")}>`)).toEqual(["<free> must be number"]);
  });

  test("a compiled checker answers true on the fast path and lists every problem otherwise", () => {
    const c = checker(schema);
    expect(c.check({ a: 1, list: [{ name: "n" }], free: 2 })).toBe(true);
    expect(c.problems({ a: 1.5, list: [{ name: 1 }], free: 2 })).toEqual(["a must be a whole number, got 1.5", "list[0].name must be a string (got a number)"]);
    expect(c.problem({ a: 1, list: [], free: 0 })).toBeUndefined();
  });
});

group("messages the schemas give", () => {
  test("tokens: each cause has its own words", () => {
    expect(tokenProblem("ok-1_A")).toBeUndefined();
    expect(tokenProblem("")).toBe("must not be empty");
    expect(tokenProblem("a".repeat(129))).toBe("must be at most 128 characters (got 129)");
    expect(tokenProblem("a.b")).toBe(`may only contain letters, digits, "_" and "-" (found ".")`);
    expect(tokenProblem("constructor")).toBe(`must not be "constructor" (a reserved JavaScript property name); choose another`);
    expect(tokenProblem(5)).toBe("must be a string (got a number)");
  });

  test("backoff: the branch named by \"type\" is the one checked", () => {
    expect(backoffProblem({ type: "fixed", delay_ms: 10 })).toBeUndefined();
    expect(backoffProblem({ type: "fixed", delay_ms: -1 })).toBe(`"delay_ms" must be ms between 0 and 86400000`);
    expect(backoffProblem({ type: "exponential", delay_ms: 1, factor: 11 })).toBe(`"factor" must be a number from 1 to 10`);
    expect(backoffProblem({ type: "list", delays_ms: [] })).toBe(`"delays_ms" must be 1 to 100 delays in ms, each at most 86400000`);
    expect(backoffProblem({ type: "later" })).toBe(`"type" must be "fixed", "exponential" or "list" (got "later")`);
    expect(backoffProblem([1])).toBe(`must be a map with a "type"`);
  });

  const job = (extra: Record<string, unknown>) => encode({ v: 1, id: "j", batch: "j", handler: "echo", payload: {}, submitted_at: 1, ...extra });
  const problem = (extra: Record<string, unknown>) => {
    const d = decodeJob(job(extra));
    return d.ok ? undefined : d.problem;
  };

  test("a job: the first problem in field order, named as the wire names it", () => {
    expect(problem({ id: "a.b", submitted_at: "x" })).toBe(`field "id" may only contain letters, digits, "_" and "-" (found ".")`);
    expect(problem({ timeout_ms: 2 ** 31 })).toBe(`field "timeout_ms" is 2147483648, over the longest time limit 2147483647 (24.8 days)`);
    expect(problem({ backoff: { type: "fixed", delay_ms: "1s" } })).toBe(`field "backoff" "delay_ms" must be ms between 0 and 86400000`);
    expect(problem({ next: { id: "x" } })).toBe(`field "next" must be an array of steps, got an object`);
    expect(problem({ next: [{ id: "s", handler: "h" }, 3] })).toBe(`field "next"[1] must be a map, got a number`);
    expect(problem({ next: [{ id: "s", handler: "h", batch: [] }] })).toBe(`field "next"[0].batch must be a non-empty array of payloads or "each", got an array`);
    expect(problem({ then: { id: "t", handler: "h", count: 2, on_failure: "skip" } })).toBe(`field "then".on_failure must be "fail" or "null", got "skip"`);
    expect(problem({ then: { id: "t", handler: "h" } })).toBe(`field "then".count must be a positive integer, got undefined`);
  });

  test("a job: nil in an optional field means absent, and the decoded job holds no nil", () => {
    const d = decodeJob(job({ attempts: null, priority: null, next: [{ id: "s", handler: "h", delay_ms: null }] }));
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect("attempts" in d.value).toBe(false);
      expect("priority" in d.value).toBe(false);
      expect(d.value.next![0]).toEqual({ id: "s", handler: "h" });
    }
    expect(problem({ hash: null })).toBe(`field "hash" must be a string, got null`);
  });
});

group("the fast twin of a schema", () => {
  test("the token's one regex accepts exactly what the explained token schema accepts", () => {
    const full = checker(TokenSchema);
    const fast = checker(TokenFastSchema);
    const samples: unknown[] = ["a", "A-z_9", "a".repeat(128), "a".repeat(129), "", "a.b", "a b", "é", "日本", "😀", "__proto__", "constructor", "prototype", "proto", 5, null, undefined, ["a"], { a: 1 }, true];
    for (const v of samples) {
      expect([v, fast.check(v)]).toEqual([v, full.check(v)]);
      expect([v, tokenProblem(v) === undefined]).toEqual([v, full.check(v)]);
    }
  });

  test("swapNodes replaces every use of a node, deep, and keeps TypeBox's symbol keys", () => {
    const a = Type.String({ minLength: 3 });
    const b = Type.String({ minLength: 1 });
    const s = Type.Object({ x: a, list: Type.Array(Type.Object({ y: a })) });
    const t = swapNodes(s, a, b);
    expect(t.properties.x).toBe(b);
    expect(t.properties.list.items.properties.y).toBe(b);
    expect((t as unknown as Record<symbol, unknown>)[Kind]).toBe("Object");
    expect(checker(t).check({ x: "a", list: [{ y: "b" }] })).toBe(true);
    expect(checker(s).check({ x: "a", list: [{ y: "b" }] })).toBe(false);
  });
});

