// Title extraction from the bytes of an HTML page, fed as they arrive. Pure: no I/O, no clock.
//
// The title is what a browser's `document.title` would say: the text of the first <title> element
// in the HTML namespace (one inside <svg>, <math> or <template> does not count), entities decoded, ASCII
// whitespace collapsed. The encoding is chosen the way the HTML spec sniffs it: a byte-order mark,
// then the Content-Type charset, then a <meta> charset in the first 1024 bytes, then a guess
// (UTF-8, or windows-1252 if the bytes are not valid UTF-8); a <meta> charset met later, before the
// title, re-decodes the page from the start, like a browser's "change the encoding".

import { Parser } from "htmlparser2";
import {
  charsetFromContentType,
  charsetFromMeta,
  encodingFromBom,
  encodingFromDocument,
  resolveEncoding,
} from "./charset.ts";

/** How many bytes the <meta> charset prescan looks at before decoding starts (as in the HTML spec). */
export const prescanBytes = 1024;

/** What a scan found. */
export interface TitleScan {
  /** the title, whitespace collapsed; null when the page has no (non-empty) HTML title */
  title: string | null;
  /** the WHATWG name of the encoding the page was decoded with */
  encoding: string;
}

/** Collapses runs of ASCII whitespace to one space and strips it at both ends (as `document.title`). */
export function collapseWhitespace(s: string): string {
  return s.replace(/[\t\n\f\r ]+/g, " ").replace(/^ | $/g, "");
}

/** The first <meta> charset in a page's first bytes, as an encoding name, or null. */
export function prescanCharset(bytes: Uint8Array): string | null {
  let found: string | null = null;
  const parser = new Parser({
    onopentag(name, attribs) {
      if (found === null && name === "meta") found = encodingFromDocument(charsetFromMeta(attribs));
    },
  });
  // Markup is ASCII in every encoding a <meta> can name, so a byte-for-byte decode finds the tags.
  parser.write(new TextDecoder("windows-1252").decode(bytes.subarray(0, prescanBytes)));
  parser.end();
  return found;
}

type Restart = { encoding: string; certain: boolean };

/**
 * Elements whose inside never holds the page's title: foreign content (an <svg> or <math> title is
 * an icon's tooltip), <template> content (a separate fragment), and elements a browser with
 * scripting on reads as raw text.
 */
const noTitleInside = new Set(["svg", "math", "template", "noscript", "iframe", "noembed", "noframes", "xmp"]);

/** One decoding of the page with one encoding; stops caring once the title is closed. */
class Pass {
  title: string | null = null;
  done = false;
  restart: Restart | null = null;
  private inTitle = false;
  private hidden = 0;
  private readonly decoder: TextDecoder;
  private readonly parser: Parser;

  constructor(
    readonly encoding: string,
    private certain: boolean,
  ) {
    // While UTF-8 is only a guess, invalid bytes mean the guess was wrong (see Pass.feed).
    this.decoder = new TextDecoder(encoding, { fatal: !certain && encoding === "utf-8" });
    this.parser = new Parser({
      onopentag: (name, attribs) => {
        if (this.done || this.restart) return;
        if (noTitleInside.has(name)) this.hidden++;
        else if (name === "title" && this.hidden === 0 && this.title === null) {
          this.inTitle = true;
          this.title = "";
        } else if (name === "meta" && !this.certain && this.title === null) {
          const enc = encodingFromDocument(charsetFromMeta(attribs));
          if (enc && enc !== this.encoding) this.restart = { encoding: enc, certain: true };
          else if (enc) this.certain = true;
        }
      },
      ontext: (text) => {
        if (this.inTitle && !this.done && !this.restart) this.title += text;
      },
      onclosetag: (name) => {
        if (noTitleInside.has(name)) this.hidden = Math.max(0, this.hidden - 1);
        else if (name === "title" && this.inTitle) {
          this.inTitle = false;
          this.done = true;
        }
      },
    });
  }

  /** Decodes and parses the next bytes; `final` ends the document (an unclosed title ends there). */
  feed(bytes: Uint8Array, final: boolean): void {
    if (this.done || this.restart) return;
    let text: string;
    try {
      text = bytes.length ? this.decoder.decode(bytes, { stream: true }) : "";
    } catch {
      // Only a guessed UTF-8 decoder is fatal: the page is most likely windows-1252.
      this.restart = { encoding: "windows-1252", certain: false };
      return;
    }
    if (text) this.parser.write(text);
    // A character cut in two at the end (byte limit) is dropped, not flushed: it is not in the title.
    if (final && !this.done && !this.restart) this.parser.end();
  }
}

/**
 * Finds a page's title in its bytes as they arrive: `write` each chunk until it returns true (the
 * title is complete and no more bytes are needed), then `end`.
 */
export class TitleScanner {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private pass: Pass | null = null;
  private readonly headerEncoding: string | null;

  /** `contentType` is the response's Content-Type header, if any (its charset wins over <meta>). */
  constructor(contentType?: string | null) {
    this.headerEncoding = resolveEncoding(charsetFromContentType(contentType));
  }

  /** True once the title is complete. */
  get done(): boolean {
    return this.pass?.done ?? false;
  }

  /** Feeds the next bytes; returns true when the title is known and the rest of the page is not needed. */
  write(chunk: Uint8Array): boolean {
    if (this.done) return true;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.pass) this.advance(chunk, false);
    else if (this.size >= prescanBytes) this.begin(false);
    return this.done;
  }

  /** No more bytes will come: returns the title found and the encoding used. */
  end(): TitleScan {
    if (!this.pass) this.begin(true);
    else if (!this.done) this.advance(new Uint8Array(0), true);
    const pass = this.pass!;
    const title = pass.title === null ? null : collapseWhitespace(pass.title);
    return { title: title || null, encoding: pass.encoding };
  }

  private begin(final: boolean): void {
    const head = this.chunks.length === 1 ? this.chunks[0] : concat(this.chunks, this.size);
    const bom = encodingFromBom(head);
    const declared = bom ?? this.headerEncoding ?? prescanCharset(head);
    this.replay(declared ? { encoding: declared, certain: true } : { encoding: "utf-8", certain: false }, final);
  }

  private advance(chunk: Uint8Array, final: boolean): void {
    const pass = this.pass!;
    pass.feed(chunk, final);
    if (pass.restart) this.replay(pass.restart, final);
  }

  /** Decodes everything received so far again, with another encoding. */
  private replay(start: Restart, final: boolean): void {
    let next: Restart | null = start;
    // Each restart either makes the encoding certain or leaves UTF-8 for windows-1252: at most two.
    for (let i = 0; next && i < 3; i++) {
      const pass: Pass = new Pass(next.encoding, next.certain);
      this.pass = pass;
      for (let c = 0; c < this.chunks.length && !pass.done && !pass.restart; c++) {
        pass.feed(this.chunks[c], final && c === this.chunks.length - 1);
      }
      if (final && this.chunks.length === 0) pass.feed(new Uint8Array(0), true);
      next = pass.restart;
    }
  }
}

/** The title of a whole page given at once (see TitleScanner). */
export function extractTitle(bytes: Uint8Array, contentType?: string | null): TitleScan {
  const scanner = new TitleScanner(contentType);
  scanner.write(bytes);
  return scanner.end();
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
