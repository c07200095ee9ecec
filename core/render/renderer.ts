// One door for rendering a template with data, whichever engine the template uses.
import { renderError } from "./errors.ts";
import { HtmlEngine, type HtmlEngineOptions } from "./html-engine.ts";
import { type RenderedPdf, renderLayout } from "./layout-engine.ts";
import type { Template } from "./template.ts";
import { FontSet, loadFonts } from "./fonts.ts";
import type { OutputOptions } from "./pdfa.ts";

export interface RendererOptions {
  /** options of the HTML engine (Chromium path, page pool) */
  html?: HtmlEngineOptions;
}

/** Renders templates; owns the proc's Chromium (started on the first HTML template). */
export class Renderer {
  readonly html: HtmlEngine;
  /** a template version's fonts, parsed once (TemplateCache hands out one object per version) */
  #fonts = new WeakMap<Template, { fonts: FontSet; assets: Map<string, Uint8Array> }>();

  constructor(opts: RendererOptions = {}) {
    this.html = new HtmlEngine(opts.html);
  }

  /** Renders `data` with a template of either kind; `signal` stops an HTML render in Chromium. */
  async render(template: Template & { digest?: string }, data: unknown, opts: { signal?: AbortSignal; output?: OutputOptions; tz?: string } = {}): Promise<RenderedPdf> {
    if (template.kind === "layout") {
      if (!template.layout) throw renderError("BAD_TEMPLATE", `template ${JSON.stringify(template.name)} has no layout`);
      let own = this.#fonts.get(template);
      if (!own) {
        await loadFonts();
        try {
          own = { fonts: new FontSet(template.fonts ?? []), assets: new Map((template.assets ?? []).map((a) => [a.name, a.bytes])) };
        } catch (err) {
          throw renderError("BAD_TEMPLATE", `template ${JSON.stringify(template.name)}: ${(err as Error).message}`, { cause: err });
        }
        this.#fonts.set(template, own);
      }
      return await renderLayout(template.base, template.layout, data, { ...own, assetKey: template.digest ?? template.name, output: opts.output, tz: opts.tz });
    }
    if (template.html === undefined) throw renderError("BAD_TEMPLATE", `template ${JSON.stringify(template.name)} has no HTML page`);
    return await this.html.render(template.base, template.html, data, `template ${template.name}: page.html`, opts.signal, opts.output);
  }

  /** Stops Chromium if it was started. */
  async stop(): Promise<void> {
    await this.html.stop();
  }
}
