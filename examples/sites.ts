// Ten small web sites on 127.0.0.1 for the title demo (examples/urls-local.json), since the demo
// must work without internet. Run: bun examples/sites.ts [port] [--delay-ms N]
//   port: argv, else DOCCTL_SITES_PORT, else 8765.  --delay-ms (or DOCCTL_SITES_DELAY_MS): each page
//   answers after that long, like a far-away server, so running more workers visibly pays off.

const utf8 = new TextEncoder();
/** Bytes of a string whose characters all fit in one byte (windows-1252 / latin1 text). */
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** "Новости дня" in KOI8-R. */
const koi8News = [0xee, 0xcf, 0xd7, 0xcf, 0xd3, 0xd4, 0xc9, 0x20, 0xc4, 0xce, 0xd1];

type Page = { body: Uint8Array; type: string } | { redirect: string };

const page = (title: string, body = "<p>Welcome.</p>"): Page => ({
  body: utf8.encode(`<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n</head>\n<body>${body}</body>\n</html>\n`),
  type: "text/html; charset=utf-8",
});

/** The pages, by path. Titles exercise entities, accents, odd markup and other charsets. */
export const pages: Record<string, Page> = {
  "/linuxfr": page("LinuxFr.org : l&#39;actualit&eacute; du logiciel libre"),
  "/slashdot": page("Slashdot: News for nerds, stuff that matters"),
  "/boingboing": page("Boing Boing &mdash; a directory of wonderful things"),
  "/rue89": { redirect: "/rue89/" },
  "/rue89/": page("Rue89 &ndash; L’info à trois voix"),
  "/makezine": {
    body: utf8.encode('<html><head><TITLE lang="en">\n    Make:\n    DIY Projects &amp; Ideas for Makers\n</TITLE></head><body><svg><title>logo</title></svg></body></html>'),
    type: "text/html",
  },
  "/hackernews": page("Hacker News", '<svg viewBox="0 0 1 1"><title>Y</title></svg>'),
  "/danstonchat": { body: latin1("<html><head><title>Dans ton chat \u0096 Citations \u00e0 la cr\u00e8me</title></head></html>"), type: "text/html; charset=windows-1252" },
  "/freshmeat": { body: latin1('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><title>Freshmeat : caf\u00e9, na\u00efvet\u00e9 &amp; logiciels</title>'), type: "text/html" },
  "/flickr": page("Flickr &#8211; Photo sharing &#x1F4F7;"),
  "/novosti": {
    body: Uint8Array.from([...latin1('<html><head><meta charset="koi8-r"><title>'), ...koi8News, ...latin1("</title></head></html>")]),
    type: "text/html",
  },
};

/** The ten demo sites (examples/urls-local.json lists them): every page but the redirects' targets. */
export const demoPaths: string[] = Object.keys(pages).filter(
  (path) => !Object.values(pages).some((p) => "redirect" in p && p.redirect === path),
);

/** Options of the demo sites. */
export interface SitesOptions {
  /** port on 127.0.0.1; 0 picks a free one */
  port: number;
  /** each answer waits this long, in ms */
  delayMs: number;
}

/** Serves the demo pages on 127.0.0.1; a path that is not a page is a 404. */
export function startSites(opts: SitesOptions): { url: string; port: number; stop(): Promise<void> } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port,
    async fetch(req) {
      if (opts.delayMs > 0) await Bun.sleep(opts.delayMs);
      const p = pages[new URL(req.url).pathname];
      if (!p) return new Response("<title>Not found</title>", { status: 404, headers: { "content-type": "text/html" } });
      if ("redirect" in p) return new Response(null, { status: 301, headers: { location: p.redirect } });
      return new Response(p.body as Uint8Array<ArrayBuffer>, { headers: { "content-type": p.type } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, port: server.port!, stop: () => server.stop(true) };
}

if (import.meta.main) {
  const args = Bun.argv.slice(2);
  const flag = args.indexOf("--delay-ms");
  const delayMs = Number(flag >= 0 ? args[flag + 1] : (process.env.DOCCTL_SITES_DELAY_MS ?? 0));
  const portArg = args.find((a, i) => /^\d+$/.test(a) && (flag < 0 || i !== flag + 1));
  const port = Number(portArg ?? process.env.DOCCTL_SITES_PORT ?? 8765);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(delayMs >= 0)) {
    console.error("usage: bun examples/sites.ts [port] [--delay-ms N]   (port 0-65535, N >= 0)");
    process.exit(2);
  }
  const sites = startSites({ port, delayMs });
  console.log(`serving ${demoPaths.length} sites on ${sites.url}${delayMs ? `, each after ${delayMs} ms` : ""} (Ctrl-C stops)`);
  for (const path of demoPaths) console.log(`  ${sites.url}${path}`);
  const stop = async () => {
    await sites.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
