import { describe, expect, test } from "bun:test";
import { jsonSyntaxError } from "../../cmd/json-location.ts";

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
  test("a missing comma, an unquoted key, a missing value, an unterminated string", () => {
    expect(jsonSyntaxError('{"a": 1 "b": 2}')).toEqual({ line: 1, col: 9, message: 'unexpected "\\"" (expected "," or "}")' });
    expect(jsonSyntaxError("{a: 1}")?.message).toBe('unexpected "a" (expected a "key" in double quotes)');
    expect(jsonSyntaxError('{"a": }')).toMatchObject({ line: 1, col: 7 });
    expect(jsonSyntaxError('{"a": "b}')?.message).toBe("unterminated string");
    expect(jsonSyntaxError("{} x")?.message).toBe('unexpected "x" after the end of the JSON value');
  });
});
