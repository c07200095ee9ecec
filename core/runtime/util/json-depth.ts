// How deep a JSON text nests, found by one pass over its characters (no recursion): a 100 000-deep
// layout or job file overflowed the stack of the recursive parsers (jsonc-parser's tree, validators)
// and failed with "Maximum call stack size exceeded" and no position.

/** JSON texts (job files, layouts) nest at most this deep; the wire's own limit (100) is checked after parsing. */
export const MAX_JSON_NESTING = 1000;

/** Where `text` first nests deeper than `max` (1-based line and column) and a message, or null. */
export function jsonNestingProblem(text: string, max = MAX_JSON_NESTING): { line: number; col: number; message: string } | null {
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) {
        return { line, col: i - lineStart + 1, message: `nested deeper than ${max} levels of arrays and objects; flatten the data` };
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return null;
}
