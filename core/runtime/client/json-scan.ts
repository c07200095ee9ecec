// Scanning a JSON text without building it: where each job of a file starts and ends, and where (line,
// column) a text stops being valid JSON, in words people know.
import { parseTree, printParseErrorCode, visit, type ParseError } from "jsonc-parser";
import { jsonNestingProblem } from "../util/json-depth.ts";

/**
 * One pass over the text with jsonc-parser's visitor (no tree): the first syntax error, the root's
 * type, and [start, end) offsets of each job: the root array's elements, or the elements of a root
 * object's "batch" array (whose own [start, end) is `batchArray`).
 */
export function scanElements(text: string): { rootType?: "object" | "array" | "value"; elements: number[]; batchArray?: [number, number]; error?: ParseError } {
  const elements: number[] = [];
  let rootType: "object" | "array" | "value" | undefined;
  let depth = 0;
  let error: ParseError | undefined;
  let batchNext = false;
  let batchArray: [number, number] | undefined;
  let inBatch = false;
  // elements live at depth 1 of a root array, or depth 2 inside the batch array
  const elementDepth = () => (rootType === "array" ? 1 : inBatch ? 2 : -1);
  const begin = (type: "object" | "array", offset: number) => {
    if (depth === 0) rootType ??= type;
    if (depth === elementDepth()) elements.push(offset);
    if (type === "array" && depth === 1 && batchNext && rootType === "object") {
      // "batch" given twice: the last one counts, as in a parsed object
      elements.length = 0;
      inBatch = true;
      batchArray = [offset, -1];
    }
    batchNext = false;
    depth++;
  };
  const end = (type: "object" | "array", offset: number) => {
    depth--;
    if (type === "array" && inBatch && depth === 1) {
      inBatch = false;
      batchArray![1] = offset + 1;
    } else if (depth === elementDepth()) elements.push(offset + 1);
  };
  visit(
    text,
    {
      onObjectBegin: (offset) => begin("object", offset),
      onObjectEnd: (offset) => end("object", offset),
      onArrayBegin: (offset) => begin("array", offset),
      onArrayEnd: (offset) => end("array", offset),
      onObjectProperty: (property) => {
        batchNext = depth === 1 && property === "batch";
      },
      onLiteralValue: (_v, offset, length) => {
        if (depth === 0) rootType ??= "value";
        if (depth === elementDepth()) elements.push(offset, offset + length);
        batchNext = false;
      },
      onError: (code, offset) => {
        error ??= { error: code, offset, length: 0 };
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return { rootType, elements, batchArray: batchArray && batchArray[1] > 0 ? batchArray : undefined, error };
}

/**
 * Where a JSON text stops being valid (JSON.parse in Bun says only what, not where): 1-based line and
 * column and a readable message, or null when the text is valid JSON. jsonc-parser finds it.
 */
export function jsonSyntaxError(text: string): { line: number; col: number; message: string } | null {
  // the parser recurses: a text nested past the limit is answered with where it gets too deep
  const deep = jsonNestingProblem(text);
  if (deep) return deep;
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const e = errors[0];
  if (!e) return null;
  const before = text.slice(0, e.offset);
  const line = before.split("\n").length;
  const cur = text[e.offset];
  // jsonc-parser says "value expected" at `]` after a trailing comma; people know the comma's name
  const trailing = before.trimEnd().endsWith(",") && (cur === "]" || cur === "}");
  const message = trailing ? `unexpected "${cur}" after "," (trailing commas are not allowed in JSON)` : humanJsonError(printParseErrorCode(e.error));
  return { line, col: e.offset - before.lastIndexOf("\n"), message };
}

export function humanJsonError(code: string): string {
  const map: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    InvalidNumberFormat: "invalid number",
    PropertyNameExpected: "expected a quoted key",
    ValueExpected: "expected a value",
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected "," (or a closing bracket)',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: "unexpected content after the end",
    InvalidCommentToken: "comments are not allowed in JSON",
    UnexpectedEndOfComment: "comments are not allowed in JSON",
    UnexpectedEndOfString: "unterminated string",
    UnexpectedEndOfNumber: "unterminated number",
    InvalidUnicode: "invalid unicode escape",
    InvalidEscapeCharacter: "invalid escape character",
    InvalidCharacter: "invalid character in string",
  };
  return map[code] ?? code;
}
