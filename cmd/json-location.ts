// Finds where a JSON text stops being valid, so a syntax error can say `file:line:col` (JSON.parse in
// Bun/JavaScriptCore says only what, not where).

/** Position and description of the first JSON syntax error, or null when the text is valid JSON. */
export function jsonSyntaxError(text: string): { line: number; col: number; message: string } | null {
  let i = 0;
  const fail = (message: string): never => {
    throw Object.assign(new Error(message), { at: i });
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const show = () => (i >= text.length ? "end of file" : JSON.stringify(text[i]));
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`unexpected ${show()} (expected a "key" in double quotes)`);
        string();
        ws();
        if (text[i] !== ":") fail(`unexpected ${show()} (expected ":")`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "}") fail(`unexpected "}" after "," (trailing commas are not allowed in JSON)`);
          continue;
        }
        if (text[i] === "}") return void i++;
        fail(`unexpected ${show()} (expected "," or "}")`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") fail(`unexpected "]" after "," (trailing commas are not allowed in JSON)`);
          continue;
        }
        if (text[i] === "]") return void i++;
        fail(`unexpected ${show()} (expected "," or "]")`);
      }
    }
    if (c === '"') return string();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (lit) return void (i += lit[0].length);
    fail(`unexpected ${show()} (expected a value: object, array, "string", number, true, false or null)`);
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') return void i++;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`bad escape \\${e ?? ""} in a string`);
      } else if (c === "\n" || c < " ") fail(`unescaped control character in a string (missing closing quote?)`);
      else i++;
    }
    fail(`unterminated string`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${show()} after the end of the JSON value`);
    return null;
  } catch (err) {
    const at = (err as { at?: number }).at ?? 0;
    const before = text.slice(0, at).split("\n");
    return { line: before.length, col: before[before.length - 1].length + 1, message: (err as Error).message };
  }
}
