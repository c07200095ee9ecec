// A test web site on 127.0.0.1: pages, redirects, slow and endless answers, for the title handler's tests.

import { brotliCompressSync } from "node:zlib";

/** A running test site: its origin, how many requests it got, and how to stop it. */
export interface TestSite {
  origin: string;
  port: number;
  /** requests received, by path */
  hits: Map<string, number>;
  /** how many endless bodies were cancelled by the client */
  cancelled: { count: number };
  stop(): Promise<void>;
}

const enc = new TextEncoder();
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const koi8Privet = [0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]; // "Привет"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function html(body: string | Uint8Array<ArrayBuffer>, contentType = "text/html; charset=utf-8", status = 200): Response {
  return new Response(body, { status, headers: { "content-type": contentType } });
}

function compressed(body: Uint8Array<ArrayBuffer>, encoding: string): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8", "content-encoding": encoding } });
}

let bomb: Uint8Array<ArrayBuffer> | undefined;

/** An endless body: `head` first, then filler chunks until the client goes away. */
function endless(head: string, cancelled: { count: number }): Response {
  const filler = enc.encode(`<p>${"filler ".repeat(9000)}</p>\n`);
  let sentHead = false;
  return new Response(
    new ReadableStream({
      pull(c) {
        if (!sentHead) {
          sentHead = true;
          c.enqueue(enc.encode(head));
        } else c.enqueue(filler);
      },
      cancel() {
        cancelled.count++;
      },
    }),
    { headers: { "content-type": "text/html" } },
  );
}

/** Starts the site on 127.0.0.1, on a free port. */
export function startSite(): TestSite {
  const hits = new Map<string, number>();
  const cancelled = { count: 0 };
  const server: Bun.Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      const path = url.pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const redirect = /^\/r\/(\d+)$/.exec(path);
      if (redirect) {
        const n = Number(redirect[1]);
        return new Response(null, { status: n % 2 ? 302 : 301, headers: { location: n > 1 ? `/r/${n - 1}` : "/ok" } });
      }
      switch (path) {
        case "/ok":
          return html("<!doctype html><html><head><meta charset=utf-8><title>Hello &amp; welcome</title></head><body>hi</body></html>");
        case "/host":
          return html(`<title>host=${req.headers.get("host")}</title>`);
        case "/no-title":
          return html("<html><body>nothing here</body></html>");
        case "/image":
          return new Response(new Uint8Array(4096), { headers: { "content-type": "image/png" } });
        case "/windows-1252-header":
          return html(latin1("<title>Caf\u00e9 cr\u00e8me \u0080 5</title>"), "text/html; charset=windows-1252");
        case "/koi8-meta":
          return html(Uint8Array.from([...latin1('<head><meta charset="koi8-r"><title>'), ...koi8Privet, ...latin1("</title>")]), "text/html");
        case "/broken":
          return html("<html><head><title>Broken <b>page</title><body><<div<p>unclosed");
        case "/slow":
          await sleep(5_000);
          return html("<title>too late</title>");
        case "/stall-body":
          return new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(enc.encode("<html><head><title>never closed"));
              },
            }),
            { headers: { "content-type": "text/html" } },
          );
        case "/huge-title-first":
          return endless("<html><head><title>Big page</title></head><body>", cancelled);
        case "/huge-no-title":
          return endless("<html><head></head><body>", cancelled);
        case "/gzip":
          return compressed(Bun.gzipSync(enc.encode("<title>Gzipped café</title>")), "gzip");
        case "/br":
          return compressed(brotliCompressSync("<title>Brotli</title>"), "br");
        case "/gzip-bomb":
          // 16 MiB of spaces before the title, a few KiB on the wire.
          return compressed((bomb ??= Bun.gzipSync(enc.encode(`${" ".repeat(16 << 20)}<title>too far</title>`))), "gzip");
        case "/to-localhost":
          return new Response(null, { status: 302, headers: { location: `http://localhost:${server.port}/ok` } });
        case "/to-metadata":
          return new Response(null, { status: 307, headers: { location: "http://169.254.169.254/latest/meta-data/" } });
        case "/to-file":
          return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
        case "/to-bad":
          return new Response(null, { status: 302, headers: { location: "http://exa mple.com:99999/" } });
        case "/404":
          return html("<title>Not found</title>", undefined, 404);
        case "/410":
          return html("<title>Gone</title>", undefined, 410);
        case "/429":
          return html("<title>Slow down</title>", undefined, 429);
        case "/500":
          return html("<title>Oops</title>", undefined, 500);
        case "/503":
          return html("<title>Unavailable</title>", undefined, 503);
        default:
          return html("<title>unknown page</title>", undefined, 404);
      }
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return { origin, port: server.port!, hits, cancelled, stop: () => server.stop(true) };
}
