// A fake DigitalOcean v2 API on 127.0.0.1 for tests: droplets, images, snapshots, tags, actions,
// bearer-token check, droplets that turn active after a delay, and injectable 429s and 5xx bursts.

export interface FakeDroplet {
  id: number;
  name: string;
  status: "new" | "active" | "off" | "archive";
  created_at: string;
  tags: string[];
  image: { id: number; name: string };
  region: { slug: string; name: string };
  size_slug: string;
  user_data?: string;
  ssh_keys?: (number | string)[];
  /** ms timestamp when it turns active; Infinity = never */
  activeAt: number;
}

export interface FakeImage {
  id: number;
  name: string;
  type: "snapshot" | "backup";
  regions: string[];
}

export interface FakeDoOptions {
  /** bearer token the fake accepts */
  token?: string;
  /** how long a new droplet stays `new`, ms */
  activeAfterMs?: number;
  /** private images (snapshots) on the account */
  images?: FakeImage[];
  regions?: string[];
  sizes?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: any;
  status: number;
  /** when it arrived, ms */
  at: number;
}

export interface FakeDo {
  url: string;
  token: string;
  droplets: Map<number, FakeDroplet>;
  images: FakeImage[];
  requests: RecordedRequest[];
  /** per-droplet override of the boot time; Infinity makes droplets never become active */
  activeAfterMs: number;
  /** the next `n` requests answer 429 with ratelimit-reset `resetInS` seconds ahead */
  rateLimitNext(n: number, resetInS?: number): void;
  /** the next `n` requests answer `status` (5xx) */
  failNext(n: number, status?: number): void;
  /** puts a droplet on the account directly (e.g. one without our tag) */
  addDroplet(d: Partial<FakeDroplet> & { name: string }): FakeDroplet;
  /** droplets carrying a tag */
  tagged(tag: string): FakeDroplet[];
  stop(): Promise<void>;
}

const notFound = { id: "not_found", message: "The resource you were accessing could not be found." };

/** Starts the fake on a free port of 127.0.0.1. */
export function startFakeDo(opts: FakeDoOptions = {}): FakeDo {
  const token = opts.token ?? "fake-do-token-0123456789";
  const regions = opts.regions ?? ["nyc1", "nyc3", "lon1", "fra1", "ams3"];
  const sizes = opts.sizes ?? ["s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-4gb"];
  const droplets = new Map<number, FakeDroplet>();
  const tags = new Set<string>();
  const actions = new Map<number, { id: number; status: string; type: string; started_at: string; completed_at: string | null; resource_id: number; resource_type: string }>();
  let nextId = 3_000_000;
  let nextAction = 9_000_000;
  let limited = 0;
  let limitReset = 1;
  let failing = 0;
  let failStatus = 500;

  const fake: FakeDo = {
    url: "",
    token,
    droplets,
    images: opts.images ?? [{ id: 7_555_620, name: "worker", type: "snapshot", regions }],
    requests: [],
    activeAfterMs: opts.activeAfterMs ?? 300,
    rateLimitNext(n, resetInS = 1) {
      limited = n;
      limitReset = resetInS;
    },
    failNext(n, status = 500) {
      failing = n;
      failStatus = status;
    },
    addDroplet(d) {
      const id = d.id ?? nextId++;
      const full: FakeDroplet = {
        id,
        status: "active",
        created_at: new Date().toISOString(),
        tags: [],
        image: { id: 1, name: "ubuntu-24-04-x64" },
        region: { slug: "nyc1", name: "New York 1" },
        size_slug: "s-1vcpu-1gb",
        activeAt: 0,
        ...d,
      };
      droplets.set(id, full);
      for (const t of full.tags) tags.add(t);
      return full;
    },
    tagged: (tag) => [...droplets.values()].filter((d) => d.tags.includes(tag)),
    async stop() {
      server.stop(true);
    },
  };

  const view = (d: FakeDroplet) => {
    if (d.status === "new" && Date.now() >= d.activeAt) d.status = "active";
    const { activeAt: _a, user_data: _u, ssh_keys: _s, ...pub } = d;
    return { ...pub, memory: 1024, vcpus: 1, disk: 25, locked: false, features: [], networks: { v4: [], v6: [] }, volume_ids: [] };
  };

  const page = <T>(url: URL, items: T[], key: string) => {
    const perPage = Math.min(200, Math.max(1, Number(url.searchParams.get("per_page") ?? 20)));
    const pageNo = Math.max(1, Number(url.searchParams.get("page") ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set("page", String(p));
      u.searchParams.set("per_page", String(perPage));
      return u.toString();
    };
    const pages: Record<string, string> = {};
    if (pageNo > 1) Object.assign(pages, { first: link(1), prev: link(pageNo - 1) });
    if (pageNo < last) Object.assign(pages, { next: link(pageNo + 1), last: link(last) });
    return { [key]: items.slice((pageNo - 1) * perPage, pageNo * perPage), links: { pages }, meta: { total: items.length } };
  };

  const newAction = (type: string, resource: number) => {
    const a = { id: nextAction++, status: "in-progress", type, started_at: new Date().toISOString(), completed_at: null, resource_id: resource, resource_type: "droplet" };
    actions.set(a.id, a);
    return a;
  };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

  async function route(req: Request, url: URL, body: any): Promise<Response> {
    const p = url.pathname.replace(/\/+$/, "");
    const q = url.searchParams;
    let m: RegExpMatchArray | null;
    if (p === "/v2/droplets" && req.method === "GET") {
      const tag = q.get("tag_name");
      const list = [...droplets.values()].filter((d) => !tag || d.tags.includes(tag)).sort((a, b) => a.id - b.id).map(view);
      return json(200, page(url, list, "droplets"));
    }
    if (p === "/v2/droplets" && req.method === "POST") {
      const names: string[] = body?.names ?? (body?.name ? [body.name] : []);
      const bad = (message: string) => json(422, { id: "unprocessable_entity", message });
      if (names.length === 0) return bad("You must provide a name or names.");
      if (names.length > 10) return bad("You may only create up to 10 droplets at once.");
      if (names.some((n) => !/^[a-zA-Z0-9.-]+$/.test(n))) return bad("Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)");
      if (!regions.includes(body.region)) return bad(`Region is not available (${body.region}).`);
      if (!sizes.includes(body.size)) return bad("Size is not available in this region.");
      const image = fake.images.find((i) => i.id === Number(body.image) || i.name === body.image);
      if (!image) return bad("You specified an invalid image for Droplet creation.");
      const created = names.map((name) => {
        const d = fake.addDroplet({
          name,
          status: "new",
          tags: [...(body.tags ?? [])],
          image: { id: image.id, name: image.name },
          region: { slug: body.region, name: body.region },
          size_slug: body.size,
          user_data: body.user_data,
          ssh_keys: body.ssh_keys,
          activeAt: Date.now() + fake.activeAfterMs,
        });
        return d;
      });
      const acts = created.map((d) => newAction("create", d.id));
      const links = { actions: acts.map((a) => ({ id: a.id, rel: "create", href: `${fake.url}/v2/actions/${a.id}` })) };
      if (body.names) return json(202, { droplets: created.map(view), links });
      return json(202, { droplet: view(created[0]), links });
    }
    if (p === "/v2/droplets" && req.method === "DELETE") {
      const tag = q.get("tag_name");
      if (!tag) return json(422, { id: "unprocessable_entity", message: "tag_name is required" });
      for (const d of fake.tagged(tag)) droplets.delete(d.id);
      return new Response(null, { status: 204 });
    }
    if ((m = p.match(/^\/v2\/droplets\/(\d+)$/))) {
      const d = droplets.get(Number(m[1]));
      if (!d) return json(404, notFound);
      if (req.method === "GET") return json(200, { droplet: view(d) });
      if (req.method === "DELETE") {
        droplets.delete(d.id);
        return new Response(null, { status: 204 });
      }
    }
    if ((m = p.match(/^\/v2\/droplets\/(\d+)\/actions$/)) && req.method === "GET") {
      const list = [...actions.values()].filter((a) => a.resource_id === Number(m![1]));
      return json(200, page(url, list, "actions"));
    }
    if ((m = p.match(/^\/v2\/actions\/(\d+)$/)) && req.method === "GET") {
      const a = actions.get(Number(m[1]));
      if (!a) return json(404, notFound);
      const d = droplets.get(a.resource_id);
      if (!d || view(d).status === "active") Object.assign(a, { status: "completed", completed_at: a.completed_at ?? new Date().toISOString() });
      return json(200, { action: a });
    }
    if (p === "/v2/images" && req.method === "GET") {
      const list = q.get("private") === "true" ? fake.images : [];
      return json(200, page(url, list.map((i) => ({ ...i, public: false, distribution: "Ubuntu", slug: null, min_disk_size: 25, size_gigabytes: 2.1, created_at: "2026-01-01T00:00:00Z", status: "available" })), "images"));
    }
    if ((m = p.match(/^\/v2\/images\/(\d+)$/)) && req.method === "GET") {
      const i = fake.images.find((x) => x.id === Number(m![1]));
      return i ? json(200, { image: i }) : json(404, notFound);
    }
    if (p === "/v2/snapshots" && req.method === "GET") {
      const type = q.get("resource_type");
      const list = type && type !== "droplet" ? [] : fake.images.filter((i) => i.type === "snapshot");
      return json(200, page(url, list.map((i) => ({ id: String(i.id), name: i.name, regions: i.regions, resource_type: "droplet", resource_id: "1", min_disk_size: 25, size_gigabytes: 2.1, created_at: "2026-01-01T00:00:00Z", tags: [] })), "snapshots"));
    }
    if (p === "/v2/tags" && req.method === "GET") {
      return json(200, page(url, [...tags].map((name) => ({ name, resources: { count: fake.tagged(name).length } })), "tags"));
    }
    if (p === "/v2/tags" && req.method === "POST") {
      if (!body?.name) return json(422, { id: "unprocessable_entity", message: "name is required" });
      tags.add(body.name);
      return json(201, { tag: { name: body.name, resources: { count: 0 } } });
    }
    return json(404, notFound);
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      let body: any;
      if (req.method === "POST") body = await req.json().catch(() => undefined);
      const rec: RecordedRequest = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, status: 0, at: Date.now() };
      fake.requests.push(rec);
      const reset = String(Math.floor(Date.now() / 1000) + limitReset);
      const rate = { "ratelimit-limit": "5000", "ratelimit-remaining": "4999", "ratelimit-reset": reset };
      let res: Response;
      if (req.headers.get("authorization") !== `Bearer ${token}`) {
        res = json(401, { id: "unauthorized", message: "Unable to authenticate you." }, rate);
      } else if (limited > 0) {
        limited--;
        res = json(429, { id: "too_many_requests", message: "API Rate limit exceeded." }, { ...rate, "ratelimit-remaining": "0" });
      } else if (failing > 0) {
        failing--;
        res = json(failStatus, { id: "server_error", message: "Unexpected server-side error" }, rate);
      } else {
        res = await route(req, url, body);
        for (const [k, v] of Object.entries(rate)) res.headers.set(k, v);
      }
      rec.status = res.status;
      return res;
    },
  });
  fake.url = `http://127.0.0.1:${server.port}`;
  return fake;
}
