// Character-encoding labels: from a Content-Type header, a <meta> tag or a byte-order mark. Pure.
//
// Bun's TextDecoder implements the whole WHATWG Encoding Standard (windows-1252, koi8-r, shift_jis,
// gb18030 ...), so a label it accepts is a label we can decode; no iconv table is needed.

/** The canonical WHATWG name for an encoding label ("latin1" -> "windows-1252"), or null if unknown. */
export function resolveEncoding(label: string | null | undefined): string | null {
  if (!label) return null;
  try {
    const enc = new TextDecoder(label.trim()).encoding;
    // "replacement" (iso-2022-kr, hz-gb-2312 ...) decodes every page to one U+FFFD: useless for a title.
    return enc === "replacement" ? null : enc;
  } catch {
    return null;
  }
}

/** The `charset` parameter of a Content-Type header value, or null. */
export function charsetFromContentType(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /;\s*charset\s*=\s*("([^"]*)"|[^;\s]*)/i.exec(value);
  if (!m) return null;
  return (m[2] ?? m[1]) || null;
}

/** The media type of a Content-Type header value, lower-cased and without parameters ("text/html"), or null. */
export function mediaType(value: string | null | undefined): string | null {
  if (!value) return null;
  const t = value.split(";")[0].trim().toLowerCase();
  return t || null;
}

/**
 * The charset a <meta> tag declares: `<meta charset="...">`, or `<meta http-equiv="Content-Type"
 * content="text/html; charset=...">` (the HTML spec's "extracting a character encoding from a meta
 * element", simplified). Attribute names are lower-case, as the parser gives them.
 */
export function charsetFromMeta(attribs: Record<string, string>): string | null {
  if (attribs.charset) return attribs.charset.trim() || null;
  if ((attribs["http-equiv"] ?? "").trim().toLowerCase() !== "content-type") return null;
  const m = /charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i.exec(attribs.content ?? "");
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
}

/** The encoding a byte-order mark at the start says ("utf-8", "utf-16le", "utf-16be"), or null. */
export function encodingFromBom(bytes: Uint8Array): string | null {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return null;
}

/**
 * What a charset declared inside the document may switch to: an HTML page cannot be UTF-16 if its
 * own ASCII markup was readable, and x-user-defined means windows-1252 (HTML spec, "prescan").
 */
export function encodingFromDocument(label: string | null | undefined): string | null {
  const enc = resolveEncoding(label);
  if (enc === "utf-16le" || enc === "utf-16be") return "utf-8";
  if (enc === "x-user-defined") return "windows-1252";
  return enc;
}
