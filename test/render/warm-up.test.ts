// The layout engine's warm-up at proc start (core/render/warm-up.ts): it renders, it leaves nothing
// behind, and documents rendered after it are byte for byte those rendered without it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { TemplateCache, putTemplate } from "../../core/render/store.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { makeBasePdf } from "../helpers/pdf.ts";
import { join } from "node:path";
import { Renderer } from "../../core/render/renderer.ts";
import { loadFonts } from "../../core/render/fonts.ts";
import { WARM_UP_RENDERS, wantsWarmUp, warmUp } from "../../core/render/warm-up.ts";
import { clearSubsetCache, subsetCacheSize } from "../../core/render/pdf-font.ts";
import type { Template } from "../../core/render/template.ts";

const EX = join(import.meta.dir, "../../examples/invoice");

describe("warmUp", () => {
  test("renders the built-in page the given number of times and leaves the subset cache empty", async () => {
    await loadFonts();
    clearSubsetCache();
    const r = new Renderer();
    const ms = await warmUp(r, 3);
    expect(ms).toBeGreaterThan(0);
    expect(subsetCacheSize()).toBe(0);
    expect(WARM_UP_RENDERS).toBeGreaterThan(0);
  });

  test("an invoice rendered after the warm-up is byte-identical to one rendered without it", async () => {
    await loadFonts();
    const template: Template = { name: "invoice", kind: "layout", base: await Bun.file(join(EX, "base.pdf")).bytes(), layout: await Bun.file(join(EX, "layout.json")).json(), pages: 1 };
    const data = await Bun.file(join(EX, "data.json")).json();
    clearSubsetCache();
    const cold = (await new Renderer().render(template, data)).bytes;
    clearSubsetCache();
    const warmed = new Renderer();
    await warmUp(warmed, 5);
    const warm = (await warmed.render(template, data)).bytes;
    expect(warm.length).toBeGreaterThan(1000);
    expect(Buffer.from(warm).equals(Buffer.from(cold))).toBe(true);
  });
});

describe("wantsWarmUp (pure)", () => {
  test("only when a layout template is held", () => {
    expect(wantsWarmUp([])).toBe(false);
    expect(wantsWarmUp([{ kind: "html" }])).toBe(false);
    expect(wantsWarmUp([{ kind: "html" }, { kind: "layout" }])).toBe(true);
  });
});

describe("what a proc's pdf handler decides from at start (real nats-server)", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.cleanup();
  });

  test("no templates stored: nothing held, no warm-up; a stored layout template is held after watch(): warm-up", async () => {
    const empty = new TemplateCache(nc);
    await empty.watch();
    expect(empty.held()).toEqual([]);
    expect(wantsWarmUp(empty.held())).toBe(false);
    empty.stopWatching();

    const base = await makeBasePdf(1);
    await putTemplate(nc, { name: "wu-html", base, html: "<p>{{x}}</p>" });
    const htmlOnly = new TemplateCache(nc);
    await htmlOnly.watch();
    expect(htmlOnly.held()).toEqual([{ name: "wu-html", kind: "html" }]);
    expect(wantsWarmUp(htmlOnly.held())).toBe(false);
    htmlOnly.stopWatching();

    await putTemplate(nc, { name: "wu-layout", base, layout: { fields: [{ text: "x", page: 1, x: 0, y: 0 }] } });
    const cache = new TemplateCache(nc);
    await cache.watch();
    expect(cache.held().map((t) => t.kind).sort()).toEqual(["html", "layout"]);
    expect(wantsWarmUp(cache.held())).toBe(true);
    cache.stopWatching();
  });
});
