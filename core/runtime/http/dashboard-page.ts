// The dashboard page: one self-contained HTML document (no outside assets), polling /api/overview.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>docctl dashboard</title>
<style>
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --bad: #c62f3b; --ok: #1f8a4c; --accent: #2f5fd0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #1d2330; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #b8c0d4; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px 24px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 10px; display: flex; justify-content: space-between; align-items: center; gap: 8px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .muted { color: var(--muted); }
  .code { font-family: ui-monospace, monospace; font-size: 12px; }
  .bad { color: var(--bad); }
  .ok { color: var(--ok); }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 99px; background: #e8edfa; color: var(--accent); font-size: 12px; }
  button { font: inherit; padding: 3px 10px; border-radius: 5px; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; }
  button:disabled { border-color: var(--line); color: var(--muted); cursor: not-allowed; }
  #token-box { display: none; gap: 6px; align-items: center; }
  #token-box input { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 5px; }
  #message { min-height: 1.4em; }
  svg { width: 100%; height: 180px; display: block; }
  .legend span { margin-right: 12px; white-space: nowrap; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
</style>
</head>
<body>
<header>
  <h1>docctl</h1>
  <span class="meta">worker <b id="worker-id">…</b> · <span id="worker-state" data-testid="worker-state">…</span></span>
  <span class="meta" id="counters"></span>
  <span class="meta" style="margin-left:auto" id="updated">connecting…</span>
</header>
<div id="halted" class="bad" role="alert" style="display:none;padding:10px 24px;background:#fde8ea;border-bottom:1px solid var(--bad)" data-testid="halted"></div>
<main>
  <section id="servers-box" style="display:none">
    <h2>Servers <span class="pill" id="servers-count">0</span></h2>
    <div class="muted" id="manager-line" data-testid="manager-line"></div>
    <table><thead><tr><th>server</th><th>worker</th><th>state</th><th>why</th></tr></thead><tbody id="servers"></tbody></table>
  </section>
  <section>
    <h2>Workers <span class="pill" id="workers-count">0</span></h2>
    <table><thead><tr><th>id</th><th>state</th><th>details</th></tr></thead><tbody id="workers"></tbody></table>
  </section>
  <section>
    <h2>Queues</h2>
    <table><thead><tr><th>handler</th><th class="num">waiting</th><th class="num">in flight</th><th class="num">lag</th></tr></thead><tbody id="queues"></tbody></table>
    <div class="legend" id="legend" style="margin-top:10px"></div>
    <svg id="chart" viewBox="0 0 600 180" preserveAspectRatio="none" aria-label="lag over time"></svg>
    <div class="muted" id="chart-note"></div>
  </section>
  <section class="wide">
    <h2>
      <span>Failed for good (dead letters) <span class="pill" id="dead-count">0</span></span>
      <span id="token-box"><label for="token">token</label><input id="token" type="password" autocomplete="off" placeholder="--http-token"></span>
      <button id="retry-all" data-testid="retry-all">Retry all</button>
    </h2>
    <div id="message" role="status"></div>
    <table><thead><tr><th>failed</th><th>job</th><th>handler</th><th>error</th><th class="num">attempts</th><th>worker</th><th></th></tr></thead><tbody id="dead"></tbody></table>
  </section>
  <section class="wide">
    <h2>Running on this worker</h2>
    <table><thead><tr><th>job</th><th>handler</th><th class="num">running for</th><th>progress</th></tr></thead><tbody id="inflight"></tbody></table>
  </section>
</main>
<script>
"use strict";
const COLORS = ["#2f5fd0", "#d0702f", "#1f8a4c", "#8a3fc6", "#c62f3b", "#2a9aa8", "#9a8a1f"];
const $ = (id) => document.getElementById(id);
let actions = "open";
const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("docctl-token") || "";
tokenInput.addEventListener("input", () => sessionStorage.setItem("docctl-token", tokenInput.value));

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function row(cells, attrs) {
  return el("tr", attrs, ...cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c))));
}
function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? s + "s" : s < 3600 ? Math.round(s / 60) + "m" : Math.round(s / 3600) + "h";
}
function summary(info) {
  if (info === null || typeof info !== "object") return String(info ?? "");
  return Object.entries(info).filter(([k]) => k !== "state" && k !== "self").map(([k, v]) => k + "=" + (typeof v === "object" ? JSON.stringify(v) : v)).join(" ").slice(0, 160);
}
function fill(id, rows, empty, cols) {
  const body = $(id);
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty))]));
}

function drawChart(history, handlers) {
  const svg = $("chart");
  const W = 600, H = 180, P = 4;
  const max = Math.max(1, ...history.flatMap((s) => Object.values(s.lag)));
  const t0 = history.length ? history[0].t : 0, t1 = history.length ? history[history.length - 1].t : 1;
  const x = (t) => P + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * P);
  const y = (v) => H - P - (v / max) * (H - 2 * P);
  const kids = [];
  for (let i = 0; i <= 4; i++) kids.push(el("line", { x1: 0, x2: W, y1: y((max * i) / 4), y2: y((max * i) / 4), stroke: "#e3e6ec", "stroke-width": 1 }));
  handlers.forEach((h, i) => {
    const pts = history.filter((s) => h in s.lag).map((s) => x(s.t).toFixed(1) + "," + y(s.lag[h]).toFixed(1));
    if (pts.length === 1) pts.push((W - P) + "," + pts[0].split(",")[1]);
    if (pts.length) kids.push(el("polyline", { points: pts.join(" "), fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, "data-handler": h }));
  });
  svg.replaceChildren(...kids.map((k) => { const n = document.createElementNS("http://www.w3.org/2000/svg", k.tagName.toLowerCase()); for (const a of k.attributes) n.setAttribute(a.name, a.value); return n; }));
  $("legend").replaceChildren(...handlers.map((h, i) => el("span", {}, el("i", { style: "background:" + COLORS[i % COLORS.length] }), h)));
  $("chart-note").textContent = history.length > 1 ? "lag, last " + ago(t1 - t0) + " (max " + max + ")" : "lag over time appears as samples come in";
}

async function retry(body) {
  const headers = { "content-type": "application/json" };
  if (tokenInput.value) headers.authorization = "Bearer " + tokenInput.value;
  const msg = $("message");
  try {
    const res = await fetch("api/dead/retry", { method: "POST", headers, body: JSON.stringify(body) });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(out.error || res.statusText);
    msg.className = "ok";
    msg.textContent = "re-queued " + (out.retried.join(", ") || "nothing") + (out.skipped.length ? "; skipped " + out.skipped.join(", ") : "");
  } catch (err) {
    msg.className = "bad";
    msg.textContent = "retry failed: " + err.message;
  }
  refresh();
}
$("retry-all").addEventListener("click", () => retry({ all: true }));

async function refresh() {
  let o;
  try {
    const res = await fetch("api/overview", { cache: "no-store" });
    o = await res.json();
  } catch (err) {
    $("updated").textContent = "cannot reach the worker: " + err.message;
    return;
  }
  actions = o.actions;
  $("worker-id").textContent = o.worker.id;
  $("worker-state").textContent = o.worker.state;
  $("counters").textContent = o.worker.done + " done · " + o.worker.failed + " failed · " + o.worker.retried + " retried";
  $("updated").textContent = "updated " + new Date(o.now).toLocaleTimeString();
  if (o.servers) {
    $("servers-box").style.display = "";
    $("servers-count").textContent = o.servers.length;
    const m = o.manager;
    if (m) $("manager-line").textContent = m.provider + " · " + (m.leader ? "leading" : "standby") + (m.desired === null ? "" : " · wants " + m.desired) + (m.lastReason ? " · " + m.lastReason : "");
    $("halted").style.display = m && m.halted ? "block" : "none";
    $("halted").textContent = m && m.halted ? m.halted : "";
    fill("servers", o.servers.map((s) => row([el("td", { class: "code" }, s.name), el("td", { class: "code muted" }, s.workerId), el("td", { class: s.state === "failed" ? "bad" : s.state === "ready" ? "ok" : "" }, s.state), el("td", { class: "muted" }, s.why)], { "data-testid": "server-row", "data-state": s.state })), "no servers", 4);
  }
  $("workers-count").textContent = o.workers.length;
  fill("workers", o.workers.map((w) => row([el("td", { class: "code" }, w.id), (w.info && w.info.state) || "", el("td", { class: "muted code" }, summary(w.info))], { "data-testid": "worker-row" })), "no workers announced", 3);
  const handlers = Object.keys(o.lag).sort();
  fill("queues", handlers.map((h) => row([h, el("td", { class: "num" }, o.lag[h].pending), el("td", { class: "num" }, o.lag[h].ackPending), el("td", { class: "num" }, o.lag[h].lag)], { "data-testid": "queue-row", "data-handler": h })), "no queues yet", 4);
  drawChart(o.history, handlers);
  $("dead-count").textContent = o.deadTotal;
  $("token-box").style.display = actions === "token" ? "inline-flex" : "none";
  const off = actions === "disabled";
  const title = off ? "actions are off: this worker listens beyond loopback without --http-token" : undefined;
  $("retry-all").disabled = off || o.deadTotal === 0;
  if (title) $("retry-all").title = title;
  fill("dead", o.dead.map((d) => {
    const b = el("button", { "data-testid": "retry", title }, "Retry");
    b.disabled = off || !d.id;
    b.addEventListener("click", () => retry({ id: d.id }));
    return row([
      el("td", { class: "muted", title: new Date(d.failedAt).toISOString() }, ago(o.now - d.failedAt) + " ago"),
      el("td", { class: "code" }, d.id || "(undecodable)"),
      d.handler,
      el("td", {}, el("span", { class: "bad code" }, d.code), " ", d.message),
      el("td", { class: "num" }, d.attempts),
      el("td", { class: "code muted" }, d.worker),
      el("td", {}, b),
    ], { "data-testid": "dead-row", "data-id": d.id || "" });
  }), "no dead letters: nothing failed for good", 7);
  // the handler's last ctx.progress(): a percentage, done/total and its message
  const progress = (p) => !p ? "" : [p.fraction !== undefined ? Math.round(p.fraction * 100) + "%" : "", p.total !== undefined ? "(" + (p.done ?? 0) + "/" + p.total + ")" : "", p.message ?? ""].filter(Boolean).join(" ");
  fill("inflight", o.worker.inFlight.map((j) => row([el("td", { class: "code" }, j.id), j.handler, el("td", { class: "num" }, ago(o.now - j.startedAt)), el("td", { "data-testid": "progress" }, progress(j.progress))], { "data-testid": "inflight-row", "data-id": j.id })), "idle", 4);
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
