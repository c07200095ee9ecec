// The HTTP side of a long-running docctl process (worker, manager): /metrics, /healthz, and whatever
// pages and actions it adds. Binds to loopback unless told otherwise; actions need a token off loopback.
import { timingSafeEqual } from "node:crypto";
import type { Server } from "bun";
import { ConfigError } from "../protocol/errors.ts";
import type { MetricsRegistry } from "../util/metrics.ts";

/** Who sent a request, for the audit list: the token's name (`NAME:SECRET` tokens), "token", or "loopback". */
export interface RequestInfo {
  who: string;
}

export type RouteHandler = (req: Request, url: URL, info: RequestInfo) => Response | Promise<Response>;

/** The name an action is logged under: a token `NAME:SECRET` is NAME, another token "token", none "loopback". Pure. */
export function actorOf(token: string | undefined): string {
  if (!token) return "loopback";
  const m = /^([A-Za-z0-9_.@-]{1,40}):./.exec(token);
  return m ? m[1]! : "token";
}

export interface HttpOptions {
  /** `127.0.0.1:9090`, `9090` (loopback), `0.0.0.0:9090`, `[::1]:9090`; port 0 picks a free one */
  addr: string;
  /** served on GET /metrics */
  metrics?: MetricsRegistry;
  /**
   * Bearer token for actions (POST routes). Set: every action needs `Authorization: Bearer <token>`.
   * Unset: actions are allowed on a loopback address and refused on any other. A token written
   * `NAME:SECRET` (the whole string is the token) has its NAME shown in the dashboard's audit list.
   */
  token?: string;
  /** GET /healthz: ok or not, and why (default: always ok) */
  health?: () => { ok: boolean; detail?: unknown } | Promise<{ ok: boolean; detail?: unknown }>;
  /** more routes, keyed `GET /path` or `POST /path` (POST routes are actions) */
  routes?: Record<string, RouteHandler>;
  /**
   * Names this server is reached by besides its address (`--http-host`, e.g. a reverse proxy's name).
   * Any other `Host` is refused, so a web page cannot reach it by DNS rebinding.
   */
  hosts?: string[];
}

export interface HttpServer {
  /** `http://127.0.0.1:9090` */
  url: string;
  hostname: string;
  port: number;
  /** whether it listens on loopback only */
  loopback: boolean;
  stop(): Promise<void>;
}

/** Split `addr` into host and port, loopback when no host is given. */
export function parseAddr(addr: string): { hostname: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(addr.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535) {
    throw new ConfigError(`--http must be HOST:PORT or PORT, e.g. 127.0.0.1:9090 (got "${addr}")`, "http");
  }
  const host = m[1] ? m[1].replace(/^\[|\]$/g, "") : "127.0.0.1";
  return { hostname: host, port };
}

/** Whether `hostname` is a loopback address. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Whether `hostname` is an IP address literal (v4, or v6 with or without brackets). */
function isIpLiteral(h: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(h) || /^\[?[0-9a-f:.]+\]?$/i.test(h) && h.includes(":");
}

/**
 * Whether a request's `Host` header names this server: its bound address (any loopback name when
 * bound to loopback, any IP literal when bound to all addresses) on its port, or a configured name.
 * DNS rebinding reaches a server under a foreign name, which this refuses. Pure.
 */
export function hostAllowed(host: string | null, bound: { hostname: string; port: number }, names: string[] = []): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!m) return false;
  const name = m[1]!.replace(/^\[|\]$/g, "");
  const port = m[2] ? Number(m[2]) : 80;
  if (names.map((n) => n.toLowerCase()).includes(name) || names.map((n) => n.toLowerCase()).includes(`${name}:${port}`)) return true;
  if (port !== bound.port) return false;
  const b = bound.hostname.toLowerCase();
  if (name === b) return true;
  if (isLoopback(b)) return isLoopback(name);
  if (b === "0.0.0.0" || b === "::") return isIpLiteral(name) || name === "localhost";
  return false;
}

/**
 * Why an action (POST) must be refused before its token is even looked at, or undefined: it must be
 * JSON (a cross-site form or text/plain POST is not, and a cross-site JSON POST needs a CORS preflight
 * nobody answers), and come from this server's own page or from no browser at all. Pure.
 */
export function actionRefusal(req: Request): Response | undefined {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return Response.json({ error: `actions take a JSON body: send Content-Type: application/json (got ${type ? `"${type}"` : "none"})` }, { status: 415 });
  }
  const origin = req.headers.get("origin");
  const host = req.headers.get("host") ?? "";
  if (origin !== null) {
    let same = false;
    try {
      same = origin !== "null" && new URL(origin).host.toLowerCase() === host.toLowerCase();
    } catch {
      same = false; // an Origin that is not a URL (TypeError) is no same-origin request
    }
    if (!same) return Response.json({ error: `cross-site action refused: Origin ${origin} is not this server (${host})` }, { status: 403 });
  } else {
    const site = req.headers.get("sec-fetch-site");
    if (site && site !== "same-origin" && site !== "none") return Response.json({ error: `cross-site action refused (Sec-Fetch-Site: ${site})` }, { status: 403 });
  }
  return undefined;
}

/**
 * The largest request body read, bytes: actions take small JSON (`{"id": ...}`). Bigger ones are
 * refused (413) from their Content-Length before anything is read, and Bun stops reading a body
 * without one at this size: a 120 MB POST on loopback was read and parsed whole (218 MB RSS).
 */
export const MAX_REQUEST_BODY = 64 * 1024;

/** Start serving; resolves once listening. */
export async function startHttp(o: HttpOptions): Promise<HttpServer> {
  const { hostname, port } = parseAddr(o.addr);
  const loopback = isLoopback(hostname);
  const routes: Record<string, RouteHandler> = {
    "GET /healthz": async () => {
      const h = (await o.health?.()) ?? { ok: true };
      return Response.json({ status: h.ok ? "ok" : "unhealthy", ...(h.detail !== undefined ? { detail: h.detail } : {}) }, { status: h.ok ? 200 : 503 });
    },
    ...(o.metrics
      ? { "GET /metrics": async () => new Response(await o.metrics!.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }) }
      : {}),
    ...o.routes,
  };
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname,
      port,
      development: false,
      maxRequestBodySize: MAX_REQUEST_BODY,
      async fetch(req) {
        if (!hostAllowed(req.headers.get("host"), { hostname, port: server.port! }, o.hosts)) {
          return new Response(
            `Host ${JSON.stringify(req.headers.get("host"))} is not this server's address; if you reach it by that name, start it with --http-host NAME\n`,
            { status: 421 },
          );
        }
        const url = new URL(req.url);
        const method = req.method === "HEAD" ? "GET" : req.method;
        const route = routes[`${method} ${url.pathname}`];
        if (!route) {
          const allowed = Object.keys(routes).filter((k) => k.endsWith(` ${url.pathname}`));
          return allowed.length
            ? new Response("method not allowed\n", { status: 405, headers: { allow: allowed.map((k) => k.split(" ")[0]).join(", ") } })
            : new Response("not found\n", { status: 404 });
        }
        if (method !== "GET") {
          const denied = bodyTooLarge(req) ?? actionRefusal(req) ?? checkToken(req, o.token, loopback);
          if (denied) return denied;
        }
        try {
          return await route(req, url, { who: actorOf(o.token) });
        } catch (err) {
          return Response.json({ error: (err as Error).message }, { status: 500 });
        }
      },
    });
  } catch (err) {
    throw new ConfigError(`--http ${o.addr}: cannot listen: ${(err as Error).message}`, "http", { cause: err });
  }
  const shownHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${shownHost}:${server.port}`,
    hostname,
    port: server.port!,
    loopback,
    async stop() {
      await server.stop(true);
    },
  };
}

function checkToken(req: Request, token: string | undefined, loopback: boolean): Response | undefined {
  if (!token) {
    return loopback
      ? undefined
      : Response.json({ error: "actions are disabled: this server listens beyond loopback and has no --http-token" }, { status: 403 });
  }
  const got = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
  const a = Buffer.from(got);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return Response.json({ error: "a valid token is needed: send Authorization: Bearer <--http-token>" }, { status: 401 });
  }
  return undefined;
}

/** A 413 for a request that says its body is over MAX_REQUEST_BODY, before any of it is read. Pure. */
export function bodyTooLarge(req: Request): Response | undefined {
  const len = Number(req.headers.get("content-length") ?? 0);
  if (!(len > MAX_REQUEST_BODY)) return undefined;
  return Response.json({ error: `request body of ${len} bytes refused: actions take at most ${MAX_REQUEST_BODY} bytes of JSON` }, { status: 413 });
}
