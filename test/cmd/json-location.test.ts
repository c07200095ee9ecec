// Where a JSON text (a layout file) stops being valid, found by jsonc-parser: file:line:col in messages.
import { describe, expect, test } from "bun:test";
import { jsonSyntaxError } from "../../core/runtime/client/jobfile.ts";

describe("jsonSyntaxError", () => {
  test("valid JSON has no error, whatever JSON.parse accepts", () => {
    for (const t of ['{"a": [1, 2.5e3, -0, true, false, null, "x\\u00e9\\n"]}', "[]", " 3 ", '"s"']) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(jsonSyntaxError(t)).toBeNull();
    }
  });
  test("a trailing comma is reported at the closing bracket", () => {
    expect(jsonSyntaxError('{\n  "fields": [\n    {"x": 1},\n  ]\n}')).toEqual({ line: 4, col: 3, message: 'unexpected "]" after "," (trailing commas are not allowed in JSON)' });
  });
  test("a missing comma, an unquoted key, a missing value, an unterminated string, trailing content", () => {
    expect(jsonSyntaxError('{"a": 1 "b": 2}')).toEqual({ line: 1, col: 9, message: 'expected "," (or a closing bracket)' });
    expect(jsonSyntaxError("{a: 1}")).toMatchObject({ line: 1, col: 2 });
    expect(jsonSyntaxError('{"a": }')).toMatchObject({ line: 1, col: 7, message: "expected a value" });
    expect(jsonSyntaxError('{"a": "b}')?.message).toBe("unterminated string");
    expect(jsonSyntaxError("{} x")).toMatchObject({ line: 1, col: 4 });
    expect(jsonSyntaxError('{"a": 1 // note\n}')?.message).toBe("comments are not allowed in JSON");
  });
});
