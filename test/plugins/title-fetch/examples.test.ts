// The demo stays working: examples/urls-local.json against examples/sites.ts gives ten titles.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { JobContext } from "../../../core/runtime/protocol/types.ts";
import { demoPaths, startSites } from "../../../examples/sites.ts";
import { createTitleHandler } from "../../../plugins/title-fetch/index.ts";
import batchFile from "../../../examples/urls-local.json";

let sites: ReturnType<typeof startSites>;
beforeAll(() => {
  sites = startSites({ port: 0, delayMs: 0 });
});
afterAll(async () => {
  await sites.stop();
});

const quiet = () => {};
const ctx = {
  signal: new AbortController().signal,
  heartbeat: quiet,
  log: { info: quiet, warn: quiet, error: quiet, debug: quiet },
} as unknown as JobContext;

test("urls-local.json lists the ten demo sites for the title handler", () => {
  expect(batchFile.handler).toBe("title");
  expect(batchFile.batch.map((j) => new URL(j.url).pathname)).toEqual(demoPaths);
  expect(demoPaths).toHaveLength(10);
});

test("every demo site yields its title (entities, accents, redirect, windows-1252, koi8-r)", async () => {
  // The batch file names port 8765; the test's sites run on a free port.
  const handler = createTitleHandler({ allowHosts: [`127.0.0.1:${sites.port}`] });
  const titles: Record<string, string | null> = {};
  for (const { url } of batchFile.batch) {
    const path = new URL(url).pathname;
    titles[path] = (await handler.handle({ url: `${sites.url}${path}` }, ctx)).title;
  }
  expect(titles).toEqual({
    "/linuxfr": "LinuxFr.org : l'actualité du logiciel libre",
    "/slashdot": "Slashdot: News for nerds, stuff that matters",
    "/boingboing": "Boing Boing — a directory of wonderful things",
    "/rue89": "Rue89 – L’info à trois voix",
    "/makezine": "Make: DIY Projects & Ideas for Makers",
    "/hackernews": "Hacker News",
    "/danstonchat": "Dans ton chat – Citations à la crème",
    "/freshmeat": "Freshmeat : café, naïveté & logiciels",
    "/flickr": "Flickr – Photo sharing 📷",
    "/novosti": "Новости дня",
  });
});
