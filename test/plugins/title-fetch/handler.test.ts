// The `title` handler end to end against web sites served on 127.0.0.1: results, limits, the guard.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JobContext } from "../../../core/runtime/protocol/types.ts";
import title, { createTitleHandler, TitleErrorCodes, titleFetchDefaults, type TitleFetchOptions, type TitleResult } from "../../../plugins/title-fetch/index.ts";
import { startSite, type TestSite } from "./site.ts";
import { silentLogger } from "../../../core/runtime/util/log.ts";

let site: TestSite;
beforeAll(() => {
  site = startSite();
});
afterAll(async () => {
  await site.stop();
});

function fakeContext(signal = new AbortController().signal): JobContext {
  const quiet = () => {};
  return {
    id: "job1",
    batch: "job1",
    handler: "title",
    attempt: 1,
    maxAttempts: 3,
    signal,
    heartbeat: quiet,
    output: () => Promise.reject(new Error("no outputs in tests")),
    log: silentLogger(),
    worker: "test",
    progress: async () => {},
  };
}

/** A handler that may reach the test site (its host:port only) and nothing else private. */
function siteHandler(extra: Partial<TitleFetchOptions> = {}) {
  return createTitleHandler({ allowPrivate: false, allowHosts: [`127.0.0.1:${site.port}`], ...extra });
}

async function run(url: string, extra: Partial<TitleFetchOptions> = {}, ctx = fakeContext()): Promise<TitleResult> {
  return await siteHandler(extra).handle({ url }, ctx);
}

/** The code and retryability of the failure a job ends with (fails the test if it succeeds). */
async function failure(p: Promise<unknown> | unknown): Promise<{ code: string; retryable: boolean; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: string; retryable: boolean; message: string };
    return { code: e.code, retryable: e.retryable, message: e.message };
  }
  throw new Error("expected the job to fail, it succeeded");
}

describe("fetching titles", () => {
  test("a page's title, entities decoded, with the final URL and status", async () => {
    expect(await run(`${site.origin}/ok`)).toEqual({
      url: `${site.origin}/ok`,
      final_url: `${site.origin}/ok`,
      status: 200,
      title: "Hello & welcome",
      content_type: "text/html; charset=utf-8",
      bytes_read: expect.any(Number),
    });
  });

  test("a chain of 3 redirects is followed", async () => {
    const r = await run(`${site.origin}/r/3`);
    expect(r.final_url).toBe(`${site.origin}/ok`);
    expect(r.title).toBe("Hello & welcome");
  });

  test("5 redirects are followed, a 6th is TOO_MANY_REDIRECTS (not retried)", async () => {
    expect((await run(`${site.origin}/r/5`)).title).toBe("Hello & welcome");
    expect(await failure(run(`${site.origin}/r/6`))).toMatchObject({ code: TitleErrorCodes.TOO_MANY_REDIRECTS, retryable: false });
  });

  test("a page without a title is a success with title null", async () => {
    expect(await run(`${site.origin}/no-title`)).toMatchObject({ status: 200, title: null });
  });

  test("a non-HTML answer is not downloaded: title null", async () => {
    expect(await run(`${site.origin}/image`)).toMatchObject({ title: null, content_type: "image/png", bytes_read: 0 });
  });

  test("broken HTML still gives its title", async () => {
    expect((await run(`${site.origin}/broken`)).title).toBe("Broken <b>page");
  });

  test("windows-1252 from the header and koi8-r from <meta> are decoded", async () => {
    expect((await run(`${site.origin}/windows-1252-header`)).title).toBe("Café crème € 5");
    expect((await run(`${site.origin}/koi8-meta`)).title).toBe("Привет");
  });

  test("a bare host gets https:// (a TLS failure against this plain-HTTP site shows it)", async () => {
    const f = await failure(run(`127.0.0.1:${site.port}/ok`));
    expect(f.code).toBe(TitleErrorCodes.FETCH_TLS);
    expect(f.message).toContain(`https://127.0.0.1:${site.port}/ok`);
  });
});

describe("limits", () => {
  test("a server slower than the time limit is FETCH_TIMEOUT, retryable", async () => {
    expect(await failure(run(`${site.origin}/slow`, { timeoutMs: 300 }))).toMatchObject({ code: TitleErrorCodes.FETCH_TIMEOUT, retryable: true });
  });

  test("a body that stalls before the title ends is FETCH_TIMEOUT", async () => {
    expect(await failure(run(`${site.origin}/stall-body`, { timeoutMs: 300 }))).toMatchObject({ code: TitleErrorCodes.FETCH_TIMEOUT });
  });

  test("a DNS lookup that never answers is FETCH_TIMEOUT too", async () => {
    const resolve = () => new Promise<never>(() => {});
    const f = await failure(createTitleHandler({ resolve, timeoutMs: 200 }).handle({ url: "http://hangs.docctl.test/" }, fakeContext()));
    expect(f).toMatchObject({ code: TitleErrorCodes.FETCH_TIMEOUT, retryable: true });
  });

  test("the time limit comes from DOCCTL_TITLE_TIMEOUT_MS when not given", async () => {
    process.env.DOCCTL_TITLE_TIMEOUT_MS = "300ms";
    try {
      expect(await failure(run(`${site.origin}/slow`))).toMatchObject({ code: TitleErrorCodes.FETCH_TIMEOUT });
    } finally {
      delete process.env.DOCCTL_TITLE_TIMEOUT_MS;
    }
  });

  test("cancelling the job (its signal) stops the fetch: FETCH_ABORTED, retryable", async () => {
    const ac = new AbortController();
    const p = run(`${site.origin}/slow`, {}, fakeContext(ac.signal));
    setTimeout(() => ac.abort(new Error("worker stopping")), 50);
    expect(await failure(p)).toMatchObject({ code: TitleErrorCodes.FETCH_ABORTED, retryable: true });
  });

  test("an endless page with the title first: reading stops at the title", async () => {
    const before = site.cancelled.count;
    const r = await run(`${site.origin}/huge-title-first`);
    expect(r.title).toBe("Big page");
    expect(r.bytes_read).toBeLessThan(256 * 1024);
    // The server sees its endless stream cancelled: the download really stopped.
    for (let i = 0; i < 200 && site.cancelled.count === before; i++) await Bun.sleep(10);
    expect(site.cancelled.count).toBeGreaterThan(before);
  });

  test("an endless page without a title: reading stops at 2 MiB, title null", async () => {
    const r = await run(`${site.origin}/huge-no-title`);
    expect(r.title).toBeNull();
    expect(r.bytes_read).toBe(titleFetchDefaults.maxBytes);
  });

  test("a body compressed despite Accept-Encoding: identity is decompressed (gzip, br)", async () => {
    expect((await run(`${site.origin}/gzip`)).title).toBe("Gzipped café");
    expect((await run(`${site.origin}/br`)).title).toBe("Brotli");
  });

  test("the 2 MiB limit counts decompressed bytes: a gzip bomb stops there", async () => {
    const r = await run(`${site.origin}/gzip-bomb`);
    expect(r.title).toBeNull();
    expect(r.bytes_read).toBe(titleFetchDefaults.maxBytes);
  });

  test("maxBytes is an option", async () => {
    const r = await run(`${site.origin}/huge-no-title`, { maxBytes: 10_000 });
    expect(r.bytes_read).toBe(10_000);
  });
});

describe("HTTP errors", () => {
  test("4xx is FETCH_HTTP_4XX, not retried", async () => {
    expect(await failure(run(`${site.origin}/404`))).toMatchObject({ code: TitleErrorCodes.FETCH_HTTP_4XX, retryable: false });
    expect(await failure(run(`${site.origin}/410`))).toMatchObject({ code: TitleErrorCodes.FETCH_HTTP_4XX, retryable: false });
  });

  test("429 Too Many Requests is FETCH_HTTP_4XX but retried", async () => {
    expect(await failure(run(`${site.origin}/429`))).toMatchObject({ code: TitleErrorCodes.FETCH_HTTP_4XX, retryable: true });
  });

  test("5xx is FETCH_HTTP_5XX, retried", async () => {
    expect(await failure(run(`${site.origin}/500`))).toMatchObject({ code: TitleErrorCodes.FETCH_HTTP_5XX, retryable: true });
    expect(await failure(run(`${site.origin}/503`))).toMatchObject({ code: TitleErrorCodes.FETCH_HTTP_5XX, retryable: true });
  });

  test("a refused connection is FETCH_NETWORK, retried", async () => {
    const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = gone.port;
    await gone.stop(true);
    const f = await failure(createTitleHandler({ allowHosts: [`127.0.0.1:${port}`] }).handle({ url: `http://127.0.0.1:${port}/` }, fakeContext()));
    expect(f).toMatchObject({ code: TitleErrorCodes.FETCH_NETWORK, retryable: true });
  });

  test("a connection reset mid-body is FETCH_NETWORK, retried", async () => {
    const net = await import("node:net");
    const server = net.createServer((sock) => {
      sock.once("data", () => {
        sock.write("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5000\r\n\r\n<html><head><title>cut");
        setTimeout(() => sock.destroy(), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const f = await failure(createTitleHandler({ allowHosts: [`127.0.0.1:${port}`] }).handle({ url: `http://127.0.0.1:${port}/` }, fakeContext()));
      expect(f).toMatchObject({ code: TitleErrorCodes.FETCH_NETWORK, retryable: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("the guard", () => {
  const literalForms = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://10.0.0.1/",
    "http://172.16.3.4/",
    "http://192.168.0.1/",
    "http://100.64.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
  ];
  for (const url of literalForms) {
    test(`the default handler refuses ${url} (FETCH_BLOCKED, not retried)`, async () => {
      expect(await failure(title.handle({ url }, fakeContext()))).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED, retryable: false });
    });
  }

  test("refused addresses are never connected to", async () => {
    const before = site.hits.get("/ok") ?? 0;
    for (const host of ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "0x7f000001", "2130706433"]) {
      const f = await failure(title.handle({ url: `http://${host}:${site.port}/ok` }, fakeContext()));
      expect([host, f.code]).toEqual([host, TitleErrorCodes.FETCH_BLOCKED]);
    }
    expect(site.hits.get("/ok") ?? 0).toBe(before);
  });

  test("a host name that resolves to loopback (localhost) is refused, and the message says how to allow it", async () => {
    const f = await failure(title.handle({ url: `http://localhost:${site.port}/ok` }, fakeContext()));
    expect(f.code).toBe(TitleErrorCodes.FETCH_BLOCKED);
    expect(f.message).toMatch(/localhost resolves to .*loopback/);
    expect(f.message).toContain("--allow-private-fetch");
  });

  test("a name with one private address among public ones is refused", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ];
    const f = await failure(createTitleHandler({ resolve }).handle({ url: "http://mixed.example/" }, fakeContext()));
    expect(f).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED });
    expect(f.message).toContain("10.0.0.7");
  });

  test("schemes other than http and https are refused", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/x", "data:text/html,<title>x</title>", "javascript:alert(1)", "gopher://example.com/"]) {
      const f = await failure(title.handle({ url }, fakeContext()));
      expect([url, f.code, f.retryable]).toEqual([url, TitleErrorCodes.FETCH_BLOCKED, false]);
    }
  });

  test("what is not a URL is BAD_URL", async () => {
    for (const url of ["http://", "http://exa mple.com/", "   ", "http://[::1/"]) {
      const f = await failure(title.handle({ url }, fakeContext()));
      expect([url, f.code, f.retryable]).toEqual([url, TitleErrorCodes.BAD_URL, false]);
    }
  });

  test("a redirect to a private address is refused, even when the first host was allowed", async () => {
    expect(await failure(run(`${site.origin}/to-localhost`))).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED, retryable: false });
    expect(await failure(run(`${site.origin}/to-metadata`))).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED, retryable: false });
  });

  test("a redirect to another scheme is refused, to a broken URL is BAD_URL", async () => {
    expect(await failure(run(`${site.origin}/to-file`))).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED });
    expect(await failure(run(`${site.origin}/to-bad`))).toMatchObject({ code: TitleErrorCodes.BAD_URL });
  });

  test("DOCCTL_ALLOW_PRIVATE_FETCH=1 lifts the guard for the default handler", async () => {
    process.env.DOCCTL_ALLOW_PRIVATE_FETCH = "1";
    try {
      expect((await title.handle({ url: `${site.origin}/r/2` }, fakeContext())).title).toBe("Hello & welcome");
      expect((await title.handle({ url: `http://localhost:${site.port}/ok` }, fakeContext())).title).toBe("Hello & welcome");
    } finally {
      delete process.env.DOCCTL_ALLOW_PRIVATE_FETCH;
    }
    expect(await failure(title.handle({ url: `${site.origin}/ok` }, fakeContext()))).toMatchObject({ code: TitleErrorCodes.FETCH_BLOCKED });
  });

  test("the connection goes to the address that was checked: DNS is asked once per hop", async () => {
    const asked: string[] = [];
    const resolve = async (host: string) => {
      asked.push(host);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const handler = createTitleHandler({ resolve, allowHosts: [`pinned.docctl.test:${site.port}`] });
    const r = await handler.handle({ url: `http://pinned.docctl.test:${site.port}/host` }, fakeContext());
    expect(r.title).toBe(`host=pinned.docctl.test:${site.port}`);
    expect(asked).toEqual(["pinned.docctl.test"]);
  });
});

describe("https", () => {
  const fixtures = join(import.meta.dir, "fixtures");
  const cert = readFileSync(join(fixtures, "test-only-cert.pem"), "utf8");
  const key = readFileSync(join(fixtures, "test-only-key.pem"), "utf8");
  let tls: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    tls = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert, key }, fetch: () => new Response("<title>Secure</title>", { headers: { "content-type": "text/html" } }) });
  });
  afterAll(async () => {
    await tls.stop(true);
  });
  const resolve = async () => [{ address: "127.0.0.1", family: 4 }];

  test("https to a pinned address still checks the certificate against the host name", async () => {
    const url = `https://title.docctl.test:${tls.port}/`;
    const allowHosts = [`title.docctl.test:${tls.port}`];
    expect((await createTitleHandler({ resolve, allowHosts, ca: cert }).handle({ url }, fakeContext())).title).toBe("Secure");
    const untrusted = await failure(createTitleHandler({ resolve, allowHosts }).handle({ url }, fakeContext()));
    expect(untrusted).toMatchObject({ code: TitleErrorCodes.FETCH_TLS, retryable: false });
  });
});

describe("credentials in a URL", () => {
  const withUser = () => site.origin.replace("http://", "http://alice:pa55word@");
  test("are never echoed: not in the result's url and final_url, nor in error messages", async () => {
    const ok = await run(`${withUser()}/ok`);
    expect(ok.title).toBe("Hello & welcome");
    expect(ok.url).toBe(`http://***@127.0.0.1:${site.port}/ok`);
    expect(JSON.stringify(ok)).not.toContain("pa55word");
    const failed = await failure(run(`${withUser()}/404`));
    expect(failed.code).toBe(TitleErrorCodes.FETCH_HTTP_4XX);
    expect(failed.message).toContain("http://***@127.0.0.1");
    expect(failed.message).not.toContain("pa55word");
    const bad = await failure(run("https://bob:hunter22@exa mple.com/"));
    expect(bad.message).not.toContain("hunter22");
  });
});
