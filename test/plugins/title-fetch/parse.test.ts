// Title extraction: what document.title would say, from raw bytes in any common encoding.
import { describe, expect, test } from "bun:test";
import { charsetFromContentType, charsetFromMeta, resolveEncoding } from "../../../plugins/title-fetch/charset.ts";
import { extractTitle, TitleScanner } from "../../../plugins/title-fetch/parse.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
/** Bytes of a string whose characters are all < 256, one byte each (latin1). */
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const title = (html: string | Uint8Array, ct?: string) =>
  extractTitle(typeof html === "string" ? utf8(html) : html, ct).title;

describe("finding the title", () => {
  test("a plain title", () => {
    expect(title("<html><head><title>Hello</title></head><body></body></html>")).toBe("Hello");
  });

  test("entities are decoded", () => {
    expect(title("<title>Tom &amp; Jerry &eacute;t&eacute; &#8364; &#x41; &lt;b&gt;</title>")).toBe("Tom & Jerry été € A <b>");
  });

  test("a title with attributes and across lines, whitespace collapsed", () => {
    expect(title('<head><TITLE lang="en" data-x=1>\n   Line one\n\t  line two  \r\n</TITLE></head>')).toBe("Line one line two");
  });

  test("non-breaking spaces are kept, as in document.title", () => {
    expect(title("<title>a&nbsp;b</title>")).toBe("a\u00a0b");
  });

  test("the first title wins", () => {
    expect(title("<head><title>First</title><title>Second</title></head>")).toBe("First");
  });

  test("a title inside <svg> or <math> is not the page's title", () => {
    expect(title('<body><svg viewBox="0 0 1 1"><title>icon</title></svg><title>Real</title></body>')).toBe("Real");
    expect(title("<svg><title>only icon</title></svg>")).toBeNull();
    expect(title("<math><title>m</title></math><svg/><title>after</title>")).toBe("after");
  });

  test("a title inside <template>, <noscript> or <iframe> is not the page's title", () => {
    expect(title("<head><template><title>t</title></template><noscript><title>n</title></noscript></head><title>Page</title>")).toBe("Page");
    expect(title("<body><iframe><title>i</title></iframe></body>")).toBeNull();
  });

  test("markup inside the title is text (RCDATA), comments and scripts are skipped", () => {
    expect(title("<title>a <b>bold</b> move</title>")).toBe("a <b>bold</b> move");
    expect(title("<!-- <title>no</title> --><script>var s='<title>no</title>'</script><title>yes</title>")).toBe("yes");
  });

  test("broken HTML still yields a title", () => {
    expect(title("<html><head><title>Unclosed head<body><p>text")).toBe("Unclosed head<body><p>text");
    expect(title("<<<>>><title>Ok</title  ><p><<div")).toBe("Ok");
    expect(title("<head><title>Trailing")).toBe("Trailing");
    expect(title("\u0000\u0001 garbage <title>G</title>")).toBe("G");
  });

  test("no title or an empty one is null", () => {
    expect(title("<html><body>no title</body></html>")).toBeNull();
    expect(title("<title>   \n </title>")).toBeNull();
    expect(title("")).toBeNull();
  });
});

describe("encodings", () => {
  test("windows-1252 from the Content-Type header", () => {
    const page = bytes("<title>Caf\u00e9 \u0080</title>"); // 0xE9 é, 0x80 € in windows-1252
    expect(extractTitle(page, "text/html; charset=windows-1252")).toEqual({ title: "Café €", encoding: "windows-1252" });
    expect(extractTitle(page, 'text/html; charset="ISO-8859-1"').title).toBe("Café €");
  });

  test("koi8-r from the header and from <meta>", () => {
    // "Привет" in KOI8-R
    const koi = [0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4];
    const withHeader = Uint8Array.from([...bytes("<title>"), ...koi, ...bytes("</title>")]);
    expect(extractTitle(withHeader, "text/html;charset=koi8-r").title).toBe("Привет");
    const withMeta = Uint8Array.from([...bytes('<meta charset="koi8-r"><title>'), ...koi, ...bytes("</title>")]);
    expect(extractTitle(withMeta, "text/html")).toEqual({ title: "Привет", encoding: "koi8-r" });
    const withHttpEquiv = Uint8Array.from([
      ...bytes('<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R"><title>'),
      ...koi,
      ...bytes("</title>"),
    ]);
    expect(extractTitle(withHttpEquiv).title).toBe("Привет");
  });

  test("a <meta> charset after the title but in the first 1024 bytes still counts", () => {
    const page = bytes("<title>R\u00e9sum\u00e9</title><meta charset=windows-1252>");
    expect(extractTitle(page).title).toBe("Résumé");
  });

  test("a <meta> charset after 1024 bytes re-decodes the page (change the encoding)", () => {
    const page = bytes(`<head><!--${"x".repeat(2000)}--><meta charset="iso-8859-1"><title>\u00e9t\u00e9</title>`);
    expect(extractTitle(page)).toEqual({ title: "été", encoding: "windows-1252" });
  });

  test("the header charset wins over <meta>", () => {
    const page = utf8('<meta charset="koi8-r"><title>été</title>');
    expect(extractTitle(page, "text/html; charset=utf-8").title).toBe("été");
  });

  test("without any label, UTF-8 is assumed, and windows-1252 if the bytes are not UTF-8", () => {
    expect(extractTitle(utf8("<title>日本語 été</title>"))).toEqual({ title: "日本語 été", encoding: "utf-8" });
    expect(extractTitle(bytes("<title>\u00e9t\u00e9</title>"))).toEqual({ title: "été", encoding: "windows-1252" });
  });

  test("a byte-order mark wins", () => {
    const be = Uint8Array.from([0xfe, 0xff, ...[..."<title>Ω</title>"].flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 255])]);
    expect(extractTitle(be, "text/html; charset=windows-1252")).toEqual({ title: "Ω", encoding: "utf-16be" });
  });

  test("an unknown charset label falls back to sniffing", () => {
    expect(extractTitle(utf8("<title>ok é</title>"), "text/html; charset=no-such-charset").title).toBe("ok é");
  });

  test("label helpers", () => {
    expect(resolveEncoding("latin1")).toBe("windows-1252");
    expect(resolveEncoding("KOI8-R")).toBe("koi8-r");
    expect(resolveEncoding("bogus")).toBeNull();
    expect(charsetFromContentType("text/html; charset=UTF-8")).toBe("UTF-8");
    expect(charsetFromContentType("text/html")).toBeNull();
    expect(charsetFromMeta({ "http-equiv": "content-type", content: "text/html;charset='koi8-r'" })).toBe("koi8-r");
    expect(charsetFromMeta({ name: "viewport", content: "width=device-width" })).toBeNull();
  });
});

describe("scanning as bytes arrive", () => {
  test("write returns true as soon as the title is closed", () => {
    const s = new TitleScanner("text/html");
    expect(s.write(utf8("<html><head><title>Early"))).toBe(false);
    expect(s.write(utf8(" bird</title>" + " ".repeat(2000)))).toBe(true);
    expect(s.end().title).toBe("Early bird");
  });

  test("a multi-byte character split across chunks decodes correctly", () => {
    const all = utf8(`<title>${"x".repeat(1020)}€uro</title>`);
    const s = new TitleScanner();
    for (let i = 0; i < all.length; i += 7) s.write(all.subarray(i, i + 7));
    expect(s.end().title).toBe(`${"x".repeat(1020)}€uro`);
  });
});
