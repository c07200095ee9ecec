// One door for rendering a template with data, whichever engine the template uses.
import { renderError } from "./errors.ts";
import { HtmlEngine, type HtmlEngineOptions } from "./html-engine.ts";
import { type RenderedPdf, renderLayout } from "./layout-engine.ts";
import type { Template } from "./template.ts";

export interface RendererOptions {
  /** options of the HTML engine (Chromium path, page pool) */
  html?: HtmlEngineOptions;
}

/** Renders templates; owns the proc's Chromium (started on the first HTML template). */
export class Renderer {
  readonly html: HtmlEngine;

  constructor(opts: RendererOptions = {}) {
    this.html = new HtmlEngine(opts.html);
  }

  /** Renders `data` with a template of either kind. */
  async render(template: Template, data: unknown): Promise<RenderedPdf> {
    if (template.kind === "layout") {
      if (!template.layout) throw renderError("BAD_TEMPLATE", `template ${JSON.stringify(template.name)} has no layout`);
      return await renderLayout(template.base, template.layout, data);
    }
    if (template.html === undefined) throw renderError("BAD_TEMPLATE", `template ${JSON.stringify(template.name)} has no HTML page`);
    return await this.html.render(template.base, template.html, data, `template ${template.name}: page.html`);
  }

  /** Stops Chromium if it was started. */
  async stop(): Promise<void> {
    await this.html.stop();
  }
}
