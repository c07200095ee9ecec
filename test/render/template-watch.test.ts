// A watched template cache: the stored templates downloaded at once, no digest request per job, new
// versions and deletions followed from the bucket, one download for many jobs arriving together.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connectNats } from "../../core/runtime/nats/connection.ts";
import { TemplateCache, putTemplate, removeTemplate } from "../../core/render/store.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { makeBasePdf } from "../helpers/pdf.ts";
import { eventually } from "../helpers/cli.ts";
import type { NatsConnection } from "@nats-io/transport-node";

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

const layout = (text: string) => ({ fields: [{ text, page: 1, x: 0, y: 0 }] });

test("watch() downloads the stored templates; get() then asks NATS nothing; new versions and deletions follow", async () => {
  const base = await makeBasePdf(1);
  await putTemplate(nc, { name: "w-a", base, layout: layout("a1") });
  await putTemplate(nc, { name: "w-b", base, layout: layout("b1") });
  const cache = new TemplateCache(nc);
  await cache.watch();
  try {
    expect(cache.fetches).toBe(2); // both prefetched before watch() resolved
    const a = await cache.get("w-a");
    await cache.get("w-b");
    await cache.get("w-a");
    expect(a.layout!.fields![0].text).toBe("a1");
    expect(cache.infoRequests).toBe(0);
    expect(cache.fetches).toBe(2);

    // a new version of a cached template is downloaded by the watch, before any job asks for it
    await putTemplate(nc, { name: "w-a", base, layout: layout("a2") });
    await eventually(() => cache.fetches === 3, 10_000, "the new version downloaded");
    const a2 = await cache.get("w-a");
    expect(a2.layout!.fields![0].text).toBe("a2");
    expect(a2.digest).not.toBe(a.digest);

    // a template stored after the watch began: one check, then answered from memory
    await putTemplate(nc, { name: "w-c", base, layout: layout("c1") });
    await cache.get("w-c");
    await cache.get("w-c");
    expect(cache.infoRequests).toBeLessThanOrEqual(1);

    await removeTemplate(nc, "w-b");
    await eventually(async () => {
      try {
        await cache.get("w-b");
        return false;
      } catch (e) {
        return (e as { code?: string }).code === "TEMPLATE_NOT_FOUND";
      }
    }, 10_000, "the deletion seen");
  } finally {
    cache.stopWatching();
  }
});

test("many jobs asking for one template at once download it once", async () => {
  await putTemplate(nc, { name: "w-many", base: await makeBasePdf(1), layout: layout("m") });
  const cache = new TemplateCache(nc);
  const got = await Promise.all(Array.from({ length: 16 }, () => cache.get("w-many")));
  expect(new Set(got).size).toBe(1);
  expect(cache.fetches).toBe(1);
});

test("a worker started before the bucket exists watches it once templates are stored", async () => {
  const other = await startNatsServer();
  const nc2 = await connectNats({ url: other.url });
  try {
    const cache = new TemplateCache(nc2);
    await cache.watch(); // no bucket yet: nothing to follow, get() checks per call meanwhile
    await putTemplate(nc2, { name: "late", base: await makeBasePdf(1), layout: layout("l") });
    expect((await cache.get("late")).layout!.fields![0].text).toBe("l");
    cache.stopWatching();
  } finally {
    await nc2.close();
    await other.cleanup();
  }
});
