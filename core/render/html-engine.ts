// The HTML engine: a Mustache HTML page filled with escaped data, printed by one headless Chromium per
// proc (started on first use, reused, pages pooled), then stamped over the base PDF.
import Mustache from "mustache";
import { PDFDocument, ParseSpeeds } from "pdf-lib";
import { type OutputOptions, finishDocument } from "./pdfa.ts";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { helperEnv } from "../runtime/util/env.ts";
import { renderError } from "./errors.ts";
import { baseInfo, loadBasePdf, pageBox } from "./base-pdf.ts";
import { dataPathName, getPath, mustacheNames } from "./data.ts";
import { OBJECTS_PER_TICK, type RenderedPdf } from "./layout-engine.ts";
import { useNativeDeflate } from "./native-deflate.ts";

/** Options of the HTML engine. */
export interface HtmlEngineOptions {
  /** Chromium executable; else $DOCCTL_CHROMIUM; else `chromium`, `chromium-browser`, `google-chrome` on the PATH */
  chromium?: string;
  /** idle pages kept open for reuse (default 4) */
  poolSize?: number;
  /** time limit for loading one page and printing it, ms (default 30000) */
  timeoutMs?: number;
}

export const htmlEngineDefaults: Required<Omit<HtmlEngineOptions, "chromium">> = { poolSize: 4, timeoutMs: 30_000 };

/** Chromium flags: headless, and nothing that phones home or needs a GPU or sandbox privileges. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-crash-reporter",
  "--disable-breakpad",
];

/** Where Chromium is, or null. `env` and `which` are parameters so the decision is testable. */
export function findChromium(
  explicit?: string,
  env: Record<string, string | undefined> = process.env,
  which: (cmd: string) => string | null = (c) => Bun.which(c),
): string | null {
  const chosen = explicit ?? env.DOCCTL_CHROMIUM;
  if (chosen) return chosen.includes("/") ? chosen : which(chosen);
  for (const cmd of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const p = which(cmd);
    if (p) return p;
  }
  return null;
}

function chromiumMissing(detail: string) {
  return renderError(
    "CHROMIUM_MISSING",
    `the HTML engine needs Chromium: ${detail}. Install it with \`apt-get install chromium\` or set DOCCTL_CHROMIUM to its path ` +
      `(layout templates do not need it)`,
  );
}

/** Fills the HTML template; top-level placeholders the data lacks are MISSING_FIELD. Pure. */
export function fillHtml(html: string, data: unknown, source = "page.html"): string {
  for (const name of mustacheNames(html)) {
    if (name === ".") continue;
    const v = getPath(data, name);
    if (v === undefined || v === null)
      throw renderError("MISSING_FIELD", `${dataPathName("data", name)} is missing (${source} uses {{${name}}})`);
  }
  return Mustache.render(html, data);
}

/** One headless Chromium, shared by every HTML render in this proc. */
export class HtmlEngine {
  #opts: HtmlEngineOptions & typeof htmlEngineDefaults;
  #browser: Promise<{ browser: Browser; context: BrowserContext }> | null = null;
  #idle: Page[] = [];
  /** pages loading or printing right now (tests, metrics) */
  printing = 0;

  constructor(opts: HtmlEngineOptions = {}) {
    this.#opts = { ...htmlEngineDefaults, ...opts };
  }

  /** Launches Chromium (also done lazily by the first render). CHROMIUM_MISSING when there is none. */
  async start(): Promise<void> {
    await this.#ensure();
  }

  #ensure(): Promise<{ browser: Browser; context: BrowserContext }> {
    if (!this.#browser) {
      const launching = this.#launch();
      this.#browser = launching;
      launching.then(
        ({ browser }) =>
          browser.on("disconnected", () => {
            // a crash: the next render starts a new browser (unless stop() or a relaunch came first)
            if (this.#browser === launching) {
              this.#browser = null;
              this.#idle = [];
            }
          }),
        () => {
          if (this.#browser === launching) this.#browser = null;
        },
      );
    }
    return this.#browser;
  }

  async #launch(): Promise<{ browser: Browser; context: BrowserContext }> {
    const path = findChromium(this.#opts.chromium);
    if (!path) throw chromiumMissing("no `chromium` on the PATH and DOCCTL_CHROMIUM is not set");
    if (!(await Bun.file(path).exists())) throw chromiumMissing(`${path} does not exist`);
    const { chromium } = await import("playwright-core");
    let browser: Browser;
    try {
      // Chromium gets no docctl settings: NATS credentials and tokens stay in this process.
      browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS, timeout: this.#opts.timeoutMs, env: helperEnv() });
    } catch (err) {
      throw chromiumMissing(`${path} did not start: ${(err as Error).message.split("\n")[0]}`);
    }
    // Templates are self-contained pages: no scripts, no network.
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    return { browser, context };
  }

  /**
   * Renders an HTML template with data and stamps each printed page over the base PDF. Base pages
   * beyond the printed ones are dropped; printed pages beyond the base's get copies of its last page.
   * `signal` (the job's): aborting it closes the Chromium page, which stops loading and printing.
   */
  async render(base: Uint8Array, html: string, data: unknown, source = "page.html", signal?: AbortSignal, output?: OutputOptions): Promise<RenderedPdf> {
    useNativeDeflate();
    signal?.throwIfAborted();
    const filled = fillHtml(html, data, source);
    const doc = await loadBasePdf(base);
    const info = baseInfo(doc);
    const [w, h] = info.pageSizes[0];
    const printed = await this.#print(filled, w, h, signal);

    const printedDoc = await PDFDocument.load(printed, { parseSpeed: ParseSpeeds.Fastest });
    const embedded = await doc.embedPdf(printedDoc, printedDoc.getPageIndices());
    const last = info.pageCount - 1;
    for (let i = info.pageCount; i < embedded.length; i++) {
      const [copy] = await doc.copyPages(doc, [last]);
      doc.addPage(copy);
    }
    for (let i = doc.getPageCount() - 1; i >= embedded.length; i--) doc.removePage(i);
    const pages = doc.getPages();
    embedded.forEach((e, i) => {
      const box = pageBox(pages[i]);
      pages[i].drawPage(e, { x: box.x, y: box.y, width: box.width, height: box.height });
    });
    if (output) await finishDocument(doc, output);
    const bytes = await doc.save({ useObjectStreams: false, objectsPerTick: OBJECTS_PER_TICK });
    return { bytes, pages: doc.getPageCount() };
  }

  async #print(html: string, widthPt: number, heightPt: number, signal?: AbortSignal): Promise<Uint8Array> {
    const { context } = await this.#ensure();
    let page = this.#idle.pop();
    let ok = false;
    // closing the page is what stops Chromium's work on it; the page is not reused after that
    const abort = () => void page?.close().catch(() => {});
    signal?.addEventListener("abort", abort, { once: true });
    this.printing++;
    try {
      page ??= await context.newPage();
      signal?.throwIfAborted();
      await page.setContent(html, { waitUntil: "load", timeout: this.#opts.timeoutMs });
      const pdf = await page.pdf({
        width: `${widthPt / 72}in`,
        height: `${heightPt / 72}in`,
        margin: { top: "0", right: "0", bottom: "0", left: "0" },
        printBackground: true,
        preferCSSPageSize: false,
      });
      ok = true;
      return new Uint8Array(pdf);
    } catch (err) {
      if (isChromiumMissing(err)) throw err;
      if (signal?.aborted) throw signal.reason ?? err;
      throw renderError("HTML_RENDER_FAILED", `Chromium could not print the page: ${(err as Error).message.split("\n")[0]}`, { cause: err, retryable: true });
    } finally {
      this.printing--;
      signal?.removeEventListener("abort", abort);
      if (page) {
        if (ok && this.#idle.length < this.#opts.poolSize) this.#idle.push(page);
        else await page.close().catch(() => {}); // a page whose browser died: nothing left to close
      }
    }
  }

  /** Closes Chromium; resolves when it has exited. */
  async stop(): Promise<void> {
    const b = this.#browser;
    this.#browser = null;
    this.#idle = [];
    if (!b) return;
    try {
      const { browser } = await b;
      await browser.close();
    } catch {
      // it never started or already died: nothing to close
    }
  }
}

function isChromiumMissing(err: unknown): boolean {
  return (err as { code?: string })?.code === "CHROMIUM_MISSING";
}
