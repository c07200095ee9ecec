// The template store and the `docctl template` command against a real nats-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { TemplateCache, getTemplate, listTemplates, putTemplate, removeTemplate } from "../../core/render/store.ts";
import { command } from "../../cmd/commands/template.ts";
import { startNatsServer, freePort, type NatsServerHandle } from "../helpers/nats.ts";
import { makeBasePdf } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";
import type { NatsConnection } from "@nats-io/transport-node";

const EX = join(import.meta.dir, "../../examples/invoice");
let server: NatsServerHandle;
let nc: NatsConnection;
const tmp = tempDir("docctl-store-");

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.cleanup();
  tmp.cleanup();
});

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

describe("template store", () => {
  test("an empty store lists nothing and a get is TEMPLATE_NOT_FOUND", async () => {
    expect(await listTemplates(nc)).toEqual([]);
    const e = await failure(getTemplate(nc, "nope"));
    expect(e.code).toBe("TEMPLATE_NOT_FOUND");
    expect(e.message).toContain('template "nope" does not exist in DOCCTL_TEMPLATES');
  });

  test("put, ls, get and rm", async () => {
    const base = await makeBasePdf(2);
    const layout = { fields: [{ field: "a", page: 2, x: 10, y: 10 }] };
    const info = await putTemplate(nc, { name: "letter", base, layout });
    expect(info).toMatchObject({ name: "letter", kind: "layout", pages: 2 });
    expect(info.digest).toStartWith("SHA-256=");
    await putTemplate(nc, { name: "card", base, html: "<p>{{a}}</p>" });

    const list = await listTemplates(nc);
    expect(list.map((t) => [t.name, t.kind, t.pages])).toEqual([["card", "html", 2], ["letter", "layout", 2]]);

    const t = await getTemplate(nc, "letter");
    expect(t.kind).toBe("layout");
    expect(t.layout).toEqual(layout as never);
    expect(t.base).toEqual(base);
    expect((await getTemplate(nc, "card")).html).toBe("<p>{{a}}</p>");

    expect(await removeTemplate(nc, "card")).toBe(true);
    expect(await removeTemplate(nc, "card")).toBe(false);
    expect((await listTemplates(nc)).map((t) => t.name)).toEqual(["letter"]);
    expect((await failure(getTemplate(nc, "card"))).code).toBe("TEMPLATE_NOT_FOUND");
  });

  test("put validates the layout against the base and stores nothing when it is wrong", async () => {
    const e = await failure(putTemplate(nc, { name: "bad", base: await makeBasePdf(1), layout: { fields: [{ field: "a", page: 3, x: 0, y: 0 }] }, layoutSource: "bad.json" }));
    expect(e.code).toBe("BAD_LAYOUT");
    expect(e.message).toBe("bad.json: fields[0].page: page 3 does not exist (the base PDF has 1 page)");
    expect((await listTemplates(nc)).map((t) => t.name)).not.toContain("bad");
    const form = await failure(putTemplate(nc, { name: "bad", base: await makeBasePdf(1), layout: { form: { fields: { Name: "a" } } }, layoutSource: "f.json" }));
    expect(form.code).toBe("BAD_LAYOUT");
    expect(form.message).toBe('f.json: form.fields.Name: the base PDF has no form field named "Name" (it has: none)');
  });

  test("the cache downloads once, then again only when a new version is put", async () => {
    const base = await makeBasePdf(1);
    await putTemplate(nc, { name: "cached", base, layout: { fields: [{ text: "v1", page: 1, x: 0, y: 0 }] } });
    const cache = new TemplateCache(nc);
    const a = await cache.get("cached");
    const b = await cache.get("cached");
    expect(b).toBe(a);
    expect(cache.fetches).toBe(1);

    await putTemplate(nc, { name: "cached", base, layout: { fields: [{ text: "v2", page: 1, x: 0, y: 0 }] } });
    const c = await cache.get("cached");
    expect(cache.fetches).toBe(2);
    expect(c.digest).not.toBe(a.digest);
    expect(c.layout!.fields![0].text).toBe("v2");

    await removeTemplate(nc, "cached");
    expect((await failure(cache.get("cached"))).code).toBe("TEMPLATE_NOT_FOUND");
  });

  test("the cache keeps at most maxEntries templates, dropping the least recently used", async () => {
    const base = await makeBasePdf(1);
    for (const n of ["t1", "t2", "t3"]) await putTemplate(nc, { name: n, base, layout: {} });
    const cache = new TemplateCache(nc, 2);
    await cache.get("t1");
    await cache.get("t2");
    await cache.get("t1"); // t1 is now the most recent
    await cache.get("t3"); // evicts t2
    expect(cache.fetches).toBe(3);
    await cache.get("t1");
    expect(cache.fetches).toBe(3);
    await cache.get("t2");
    expect(cache.fetches).toBe(4);
  });
});

describe("docctl template", () => {
  const global = () => ({ nats: server.url, verbosity: 0, logFormat: "pretty" as const });
  async function cli(positionals: string[], values: Record<string, string | boolean> = {}, url?: string) {
    const lines: string[] = [];
    const [log, err] = [console.log, console.error];
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    console.error = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      const code = await command.run({ positionals, values, global: { ...global(), ...(url ? { nats: url } : {}) } });
      return { code, out: lines.join("\n") };
    } finally {
      console.log = log;
      console.error = err;
    }
  }

  test("put, ls, get, rm round trip with the example invoice", async () => {
    const put = await cli(["put", "invoice", join(EX, "base.pdf")], { layout: join(EX, "layout.json") });
    expect(put.code).toBe(0);
    expect(put.out).toMatch(/^stored template invoice \(layout, 1 page, \d+ bytes, SHA-256=/);
    const putHtml = await cli(["put", "invoice-html", join(EX, "base.pdf")], { html: join(EX, "invoice.html") });
    expect(putHtml.code).toBe(0);

    const ls = await cli(["ls"]);
    expect(ls.code).toBe(0);
    expect(ls.out).toMatch(/^NAME\s+KIND\s+PAGES/);
    expect(ls.out).toMatch(/\ninvoice\s+layout\s+1\s/);
    expect(ls.out).toMatch(/\ninvoice-html\s+html\s+1\s/);

    const out = join(tmp.path, "got");
    const get = await cli(["get", "invoice"], { out });
    expect(get.code).toBe(0);
    expect(await Bun.file(join(out, "base.pdf")).bytes()).toEqual(await Bun.file(join(EX, "base.pdf")).bytes());
    expect(await Bun.file(join(out, "layout.json")).json()).toEqual(await Bun.file(join(EX, "layout.json")).json());
    expect((await cli(["get", "invoice"], { out })).code).toBe(2); // would overwrite

    expect((await cli(["rm", "invoice-html"])).code).toBe(0);
    const rm = await cli(["rm", "invoice-html"]);
    expect(rm.code).toBe(1);
    expect(rm.out).toContain('template "invoice-html" does not exist');
  });

  test("bad input exits 2 with the precise message", async () => {
    const layoutPath = join(tmp.path, "l.json");
    await Bun.write(layoutPath, JSON.stringify({ fields: [{ field: "a", page: 2, x: 0, y: 0 }] }));
    const bad = await cli(["put", "x", join(EX, "base.pdf")], { layout: layoutPath });
    expect(bad.code).toBe(2);
    expect(bad.out).toBe("error [BAD_LAYOUT]: l.json: fields[0].page: page 2 does not exist (the base PDF has 1 page)");

    const notPdf = await cli(["put", "x", layoutPath], { layout: layoutPath });
    expect(notPdf.code).toBe(2);
    expect(notPdf.out).toContain(`error [BAD_BASE_PDF]: ${layoutPath} is not a readable PDF`);

    const brokenPath = join(tmp.path, "broken.json");
    await Bun.write(brokenPath, '{\n  "fields": [\n    {"text": "a", "page": 1, "x": 1, "y": 1},\n  ]\n}\n');
    const broken = await cli(["put", "x", join(EX, "base.pdf")], { layout: brokenPath });
    expect(broken.code).toBe(2);
    expect(broken.out).toBe(`error: ${brokenPath}:4:3: unexpected "]" after "," (trailing commas are not allowed in JSON)`);

    expect((await cli(["put", "x", join(EX, "base.pdf")])).code).toBe(2); // neither --layout nor --html
    expect((await cli(["put", "x", "/nonexistent.pdf"], { layout: layoutPath })).out).toBe("error: /nonexistent.pdf: no such file");
    expect((await cli(["frobnicate"])).code).toBe(2);
  });

  test("NATS unreachable exits 4", async () => {
    const port = await freePort();
    const r = await cli(["ls"], {}, `nats://127.0.0.1:${port}`);
    expect(r.code).toBe(4);
    expect(r.out).toContain(`cannot reach NATS at nats://127.0.0.1:${port}`);
  });
});
