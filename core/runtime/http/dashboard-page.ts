// The console page: one self-contained HTML document (no outside assets, no CDN: the binary serves
// all of it), reading the JSON routes of dashboard.ts. Charts are hand-drawn SVG (axes, legends, hover
// and keyboard values) rather than a charting library: four line charts need ~150 lines, and a
// library would be a second asset to bundle, serve and keep up to date for no feature we use.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>docctl console</title>
<style>
  :root { --bg: #f4f5f8; --card: #fff; --ink: #1b2130; --muted: #555e72; --line: #dde1e9; --bad: #b3202d; --badbg: #fde8ea; --ok: #17703d; --warn: #8a5a00; --accent: #2553c0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
  a { color: var(--accent); }
  header { display: flex; align-items: center; gap: 10px 18px; padding: 10px 20px; background: #1b2130; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #c9d0e0; }
  .kind { display: inline-block; padding: 1px 8px; border-radius: 4px; background: #3a4560; color: #fff; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  nav { display: flex; gap: 4px; flex-wrap: wrap; }
  nav a { color: #fff; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
  nav a[aria-current="page"] { background: #3a4560; }
  nav a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, svg:focus-visible, summary:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 14px; padding: 14px 20px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; align-items: center; gap: 8px; flex-wrap: wrap; }
  h3 { font-size: 14px; margin: 12px 0 6px; }
  .scroll { overflow-x: auto; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.sub td { background: #fafbfc; font-size: 13px; }
  .muted { color: var(--muted); }
  .code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
  pre { background: #f6f7f9; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; max-height: 360px; white-space: pre-wrap; word-break: break-word; }
  .bad { color: var(--bad); }
  .ok { color: var(--ok); }
  .warn { color: var(--warn); }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 99px; background: #e6ecfa; color: var(--accent); font-size: 12px; }
  .st { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; background: #eceef3; }
  .st.FATAL, .st.failed, .st.dead, .st.stale, .st.unresponsive { background: var(--badbg); color: var(--bad); }
  .st.RUNNING, .st.running, .st.done, .st.ready, .st.leading { background: #e3f4ea; color: var(--ok); }
  .st.paused, .st.BACKOFF, .st.draining, .st.retrying { background: #fff3d6; color: var(--warn); }
  button { font: inherit; padding: 3px 10px; border-radius: 5px; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; min-height: 30px; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  button:disabled { border-color: var(--line); color: var(--muted); cursor: not-allowed; }
  .btns { display: flex; gap: 4px; flex-wrap: wrap; }
  input, select { font: inherit; padding: 4px 6px; border: 1px solid #aab2c3; border-radius: 5px; background: #fff; color: var(--ink); min-height: 30px; }
  label { font-size: 13px; color: var(--muted); display: inline-flex; flex-direction: column; gap: 2px; }
  .filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: flex-end; margin-bottom: 8px; }
  #token-box { display: none; gap: 6px; align-items: center; color: #fff; }
  #token-box label { color: #c9d0e0; flex-direction: row; align-items: center; gap: 6px; }
  #message { min-height: 1.4em; padding: 0 20px; margin-top: 8px; }
  #halted { display: none; padding: 10px 20px; background: var(--badbg); border-bottom: 2px solid var(--bad); color: var(--bad); font-weight: 600; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
  .chart { position: relative; }
  .chart svg { width: 100%; height: 190px; display: block; }
  .chart .tip { position: absolute; pointer-events: none; background: #1b2130; color: #fff; font-size: 12px; padding: 4px 8px; border-radius: 4px; white-space: nowrap; display: none; z-index: 2; }
  .legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 2px 0 4px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
  .kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
  .kv dt { color: var(--muted); }
  .kv dd { margin: 0; }
  .tree { list-style: none; padding-left: 14px; border-left: 2px solid var(--line); }
  .view[hidden] { display: none; }
  @media (max-width: 700px) {
    main { grid-template-columns: 1fr; padding: 10px; gap: 10px; }
    header { padding: 8px 10px; }
    section { padding: 10px; }
    .charts { grid-template-columns: 1fr; }
    .hide-narrow { display: none; }
    /* tables become cards: each cell on its own line with its column's name */
    table.cards thead { display: none; }
    table.cards tr { display: grid; grid-template-columns: 1fr 1fr; gap: 2px 10px; padding: 8px 0; border-bottom: 1px solid var(--line); }
    table.cards td { border: 0; padding: 1px 0; }
    table.cards td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
    table.cards td:first-child, table.cards td.span { grid-column: 1 / -1; }
    table.cards td:first-child::before { content: none; }
    table.cards td.num { text-align: left; }
    table.cards td:empty { display: none; }
    table.cards tr.sub { padding-left: 10px; }
  }
</style>
</head>
<body>
<header>
  <h1>docctl</h1>
  <span class="kind" id="kind" data-testid="kind">…</span>
  <span class="meta"><b id="worker-id">…</b> · <span id="worker-state" data-testid="worker-state">…</span></span>
  <span class="meta" id="counters"></span>
  <nav aria-label="sections">
    <a href="#overview" data-view="overview">Overview</a>
    <a href="#jobs" data-view="jobs">Jobs</a>
    <a href="#schedules" data-view="schedules">Schedules</a>
    <a href="#audit" data-view="audit">Audit</a>
  </nav>
  <span id="token-box"><label for="token">token <input id="token" type="password" autocomplete="off" placeholder="--http-token"></label></span>
  <span class="meta" style="margin-left:auto" id="updated" aria-live="off">connecting…</span>
</header>
<div id="halted" role="alert" data-testid="halted"></div>
<div id="message" role="status" aria-live="polite"></div>

<div class="view" id="view-overview">
<main>
  <section id="servers-box" class="wide" hidden>
    <h2>Servers <span class="pill" id="servers-count">0</span></h2>
    <div class="muted" id="manager-line" data-testid="manager-line"></div>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">server</th><th scope="col">worker</th><th scope="col">state</th><th scope="col">why</th></tr></thead><tbody id="servers"></tbody></table></div>
  </section>
  <section class="wide">
    <h2><span>History</span>
      <label style="flex-direction:row;align-items:center;gap:6px">range <select id="range"><option value="0" selected>since the first sample</option><option value="1">1 h</option><option value="6">6 h</option><option value="24">24 h</option><option value="48">48 h</option></select></label>
    </h2>
    <div class="charts">
      <div class="chart" id="chart-lag"></div>
      <div class="chart" id="chart-throughput"></div>
      <div class="chart" id="chart-failed"></div>
      <div class="chart" id="chart-wait"></div>
    </div>
    <div class="muted" id="chart-note"></div>
  </section>
  <section class="wide">
    <h2>Queues</h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">handler</th><th scope="col" class="num">waiting</th><th scope="col" class="num">in flight</th><th scope="col" class="num">lag</th><th scope="col" class="num">oldest</th><th scope="col" class="num">dead</th><th scope="col">deliveries</th><th scope="col">actions</th></tr></thead><tbody id="queues"></tbody></table></div>
  </section>
  <section class="wide">
    <h2>Workers <span class="pill" id="workers-count">0</span></h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">worker / proc</th><th scope="col">state</th><th scope="col" class="num">restarts</th><th scope="col" class="num">watchdog kills</th><th scope="col">last exit</th><th scope="col" class="num">memory</th><th scope="col" class="num">done</th><th scope="col" class="num">failed</th><th scope="col" class="num">in flight</th><th scope="col">actions</th></tr></thead><tbody id="workers"></tbody></table></div>
  </section>
  <section class="wide">
    <h2>
      <span>Failed for good (dead letters) <span class="pill" id="dead-count">0</span></span>
      <span class="btns"><button id="retry-all" data-testid="retry-all">Retry all</button><button id="delete-all" class="danger">Delete all</button></span>
    </h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">failed</th><th scope="col">job</th><th scope="col">handler</th><th scope="col">error</th><th scope="col" class="num">attempts</th><th scope="col" class="hide-narrow">worker</th><th scope="col">actions</th></tr></thead><tbody id="dead"></tbody></table></div>
  </section>
  <section class="wide" id="inflight-box">
    <h2>Running on this worker</h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">job</th><th scope="col">handler</th><th scope="col" class="num">running for</th><th scope="col">progress</th></tr></thead><tbody id="inflight"></tbody></table></div>
  </section>
</main>
</div>

<div class="view" id="view-jobs" hidden>
<main>
  <section class="wide">
    <h2>Jobs <span class="pill" id="jobs-total">0</span></h2>
    <form class="filters" id="job-filters">
      <label for="f-state">state <select id="f-state"><option value="">any</option></select></label>
      <label for="f-handler">handler <input id="f-handler" size="12" list="handler-list"></label>
      <datalist id="handler-list"></datalist>
      <label for="f-batch">batch <input id="f-batch" size="14"></label>
      <label for="f-q">job id contains <input id="f-q" size="16" data-testid="job-search"></label>
      <button type="submit">Search</button>
    </form>
    <div class="muted" id="jobs-note"></div>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">job</th><th scope="col">state</th><th scope="col">handler</th><th scope="col" class="hide-narrow">batch</th><th scope="col">when</th><th scope="col" class="num">attempts</th><th scope="col">error</th></tr></thead><tbody id="jobs"></tbody></table></div>
    <div class="btns" style="margin-top:8px"><button id="prev">‹ Newer</button><button id="next">Older ›</button><span class="muted" id="page-line"></span></div>
  </section>
</main>
</div>

<div class="view" id="view-job" hidden>
<main>
  <section class="wide">
    <h2><span>Job <span class="code" id="job-id"></span></span><span class="btns"><button id="job-cancel" class="danger">Cancel</button><a href="#jobs">back to jobs</a></span></h2>
    <dl class="kv" id="job-facts"></dl>
    <div id="job-progress"></div>
    <h3>Attempts</h3>
    <ol id="job-attempts" data-testid="attempts"></ol>
    <h3>Workflow</h3>
    <div id="job-workflow" class="muted"></div>
    <h3>Payload</h3>
    <pre id="job-payload"></pre>
    <h3>Result</h3>
    <pre id="job-result"></pre>
    <h3>Logs</h3>
    <div id="job-logs" class="muted"></div>
  </section>
</main>
</div>

<div class="view" id="view-schedules" hidden>
<main>
  <section class="wide">
    <h2>Schedules</h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">name</th><th scope="col">when</th><th scope="col">next run</th><th scope="col">last run</th><th scope="col">created</th><th scope="col">actions</th></tr></thead><tbody id="schedules"></tbody></table></div>
    <p class="muted">Pausing a schedule comes with server-side schedules (issue 21); remove one with <span class="code">docctl schedule rm NAME</span>.</p>
  </section>
  <section class="wide">
    <h2>Delayed jobs <span class="pill" id="delayed-count">0</span></h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">job</th><th scope="col">handler</th><th scope="col">runs at</th><th scope="col">actions</th></tr></thead><tbody id="delayed"></tbody></table></div>
  </section>
</main>
</div>

<div class="view" id="view-audit" hidden>
<main>
  <section class="wide">
    <h2>Audit: actions taken from the console</h2>
    <div class="scroll"><table class="cards"><thead><tr><th scope="col">when</th><th scope="col">who</th><th scope="col">action</th><th scope="col">target</th><th scope="col">result</th><th scope="col">from</th></tr></thead><tbody id="audit"></tbody></table></div>
  </section>
</main>
</div>

<script>
"use strict";
const COLORS = ["#2553c0", "#c0561d", "#17703d", "#7b33b8", "#b3202d", "#1d7f8c", "#7a6a00", "#c02a86"];
const STATES = ["scheduled", "queued", "running", "retrying", "done", "failed", "cancelled", "dead"];
const $ = (id) => document.getElementById(id);
let actions = "open";
let overview = null;
const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("docctl-token") || "";
tokenInput.addEventListener("input", () => sessionStorage.setItem("docctl-token", tokenInput.value));

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  for (const k of kids) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function row(cells, attrs) {
  return el("tr", attrs, ...cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c))));
}
function fill(id, rows, empty, cols) {
  const body = $(id);
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty))]));
  // each cell names its column, for the card layout of narrow screens
  const names = [...body.parentElement.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const tr of body.rows) [...tr.cells].forEach((td, i) => { if (!td.hasAttribute("colspan") && names[i]) td.setAttribute("data-label", names[i]); if (td.querySelector(".btns")) td.classList.add("span"); });
}
function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m" : s < 172800 ? Math.round(s / 3600) + "h" : Math.round(s / 86400) + "d";
}
function dur(s) { return s === undefined || s === null ? "" : s < 1 ? Math.round(s * 1000) + " ms" : s < 120 ? (Math.round(s * 10) / 10) + " s" : ago(s * 1000); }
function bytes(n) { return n === undefined ? "–" : n < 1048576 ? Math.round(n / 1024) + " KB" : Math.round(n / 1048576) + " MB"; }
function when(t) { return t ? new Date(t).toLocaleString() : ""; }
function stBadge(s, extra) { return el("span", { class: "st " + String(s).replace(/[^A-Za-z]/g, "") + (extra ? " " + extra : "") }, s); }
function say(ok, text) { const m = $("message"); m.className = ok ? "ok" : "bad"; m.textContent = text; }

async function api(path) {
  const res = await fetch(path, { cache: "no-store" });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(out.error || res.statusText);
  return out;
}
async function act(path, body, label) {
  const headers = { "content-type": "application/json" };
  if (tokenInput.value) headers.authorization = "Bearer " + tokenInput.value;
  try {
    const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(out.error || res.statusText);
    say(true, label + ": " + out.detail);
  } catch (err) {
    say(false, label + " failed: " + err.message);
  }
  route();
}
function actionButton(text, path, body, label, o) {
  const b = el("button", { type: "button", class: o && o.danger ? "danger" : undefined, "data-action": path.split("/").slice(-2).join("-"), "aria-label": label });
  b.textContent = text;
  const off = actions === "disabled";
  b.disabled = off;
  if (off) b.title = "actions are off: this server listens beyond loopback without --http-token";
  b.addEventListener("click", () => {
    let send = body;
    if (o && o.confirmWord) {
      const typed = prompt(o.confirmText + "\\n\\nType " + o.confirmWord + " to confirm:");
      if (typed === null) return;
      send = Object.assign({}, body, { confirm: typed });
    }
    act(path, send, label);
  });
  return b;
}

// ---- charts: SVG drawn here, hover and arrow keys show the values at a time
// y axis: a round step (1, 2, 2.5, 5 x 10^n) and at most 4 steps up to the top value
function niceAxis(v) {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const raw = v / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = 10 * p;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) { step = m * p; break; }
  return { max: Math.ceil(v / step - 1e-9) * step, step };
}
function fmtNum(v) { return v >= 1000 ? (Math.round(v / 100) / 10) + "k" : String(Math.round(v * 100) / 100); }
function fmtTime(t, span) { const d = new Date(t); return span > 2 * 86400000 ? d.toLocaleDateString() : span < 600000 ? d.toTimeString().slice(0, 8) : d.toTimeString().slice(0, 5); }
function drawChart(box, title, unit, series, t0, t1, interval) {
  const W = Math.max(280, box.clientWidth || 600), H = 190, L = 46, R = 10, T = 10, B = 24;
  const all = series.flatMap((s) => s.points.map((p) => p.v));
  const axis = niceAxis(Math.max(0, ...all)), max = axis.max;
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const live = series.filter((s) => s.points.some((p) => p.v > 0));
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", tabindex: "0", "aria-label": title + ": " + (live.length ? live.map((s) => s.name + " latest " + fmtNum(s.points[s.points.length - 1].v) + unit).join("; ") : "all zero") + ". Use left and right arrow keys to read values." });
  svg.append(svgEl("title", {}, title));
  for (let v = 0; v <= max + 1e-9; v += axis.step) {
    const i = v;
    svg.append(svgEl("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: i ? "#e4e7ee" : "#9aa3b5", "stroke-width": 1 }));
    svg.append(svgEl("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#555e72" }, fmtNum(v)));
  }
  // as many time labels as fit (a label is ~60 px wide)
  const nx = Math.max(1, Math.min(4, Math.floor((W - L - R) / (t1 - t0 < 600000 ? 75 : 55))));
  for (let i = 0; i <= nx; i++) {
    const t = t0 + ((t1 - t0) * i) / nx;
    svg.append(svgEl("line", { x1: x(t), x2: x(t), y1: H - B, y2: H - B + 4, stroke: "#9aa3b5" }));
    svg.append(svgEl("text", { x: x(t), y: H - 6, "text-anchor": i === 0 ? "start" : i === nx ? "end" : "middle", "font-size": 11, fill: "#555e72" }, fmtTime(t, t1 - t0)));
  }
  svg.append(svgEl("text", { x: L + 4, y: T + 10, "font-size": 11, fill: "#555e72" }, unit.trim()));
  series.forEach((s) => {
    if (!s.points.some((p) => p.v > 0)) return; // a flat zero line hides the others: the legend says "0"
    let d = "", prev = null;
    for (const p of s.points) {
      // a gap longer than 2.5 intervals (nobody wrote samples) is not joined
      d += (prev === null || p.t - prev > 2.5 * interval ? "M" : "L") + x(p.t).toFixed(1) + "," + y(p.v).toFixed(1);
      prev = p.t;
    }
    if (s.points.length === 1) d += "h3";
    svg.append(svgEl("path", { d, fill: "none", stroke: s.color, "stroke-width": 2, "data-handler": s.name, "data-points": s.points.length }));
    // few points: each one is also a dot, so a single minute's spike is seen
    if (s.points.length <= 90) for (const p of s.points) if (p.v > 0) svg.append(svgEl("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2.5, fill: s.color, "data-handler": s.name }));
  });
  const cursor = svgEl("line", { y1: T, y2: H - B, stroke: "#1b2130", "stroke-dasharray": "3 3", visibility: "hidden" });
  svg.append(cursor);
  const tip = el("div", { class: "tip", role: "tooltip" });
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  let at = times.length - 1;
  const show = (i) => {
    if (!times.length) return;
    at = Math.max(0, Math.min(times.length - 1, i));
    const t = times[at];
    cursor.setAttribute("x1", x(t)); cursor.setAttribute("x2", x(t)); cursor.setAttribute("visibility", "visible");
    tip.replaceChildren(el("div", {}, new Date(t).toLocaleString()), ...series.map((s) => { const p = s.points.find((q) => q.t === t); return el("div", {}, el("i", { style: "display:inline-block;width:8px;height:8px;margin-right:4px;background:" + s.color }), s.name + ": " + (p ? fmtNum(p.v) + unit : "–")); }));
    tip.style.display = "block";
    const px = (x(t) / W) * box.clientWidth;
    tip.style.left = Math.min(px + 8, box.clientWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = "30px";
    tip.setAttribute("data-testid", "chart-tip");
  };
  const hide = () => { cursor.setAttribute("visibility", "hidden"); tip.style.display = "none"; };
  svg.addEventListener("mousemove", (ev) => {
    const r = svg.getBoundingClientRect();
    const t = t0 + (((ev.clientX - r.left) / r.width) * W - L) / (W - L - R) * (t1 - t0);
    let best = 0;
    times.forEach((u, i) => { if (Math.abs(u - t) < Math.abs(times[best] - t)) best = i; });
    show(best);
  });
  svg.addEventListener("mouseleave", hide);
  svg.addEventListener("blur", hide);
  svg.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowLeft") { show(at - 1); ev.preventDefault(); }
    else if (ev.key === "ArrowRight") { show(at + 1); ev.preventDefault(); }
    else if (ev.key === "Escape") hide();
  });
  svg.addEventListener("focus", () => show(at));
  const legend = el("div", { class: "legend" }, ...series.map((s) => el("span", { "data-handler": s.name }, el("i", { style: "background:" + s.color }), s.name + " " + (s.points.length ? fmtNum(s.points[s.points.length - 1].v) + unit : "–"))));
  box.replaceChildren(el("h3", { style: "margin:0" }, title), legend, svg, tip);
}

let history = null;
async function loadHistory() {
  try {
    history = await api("api/history?hours=" + (Number($("range").value) || 24));
    history.auto = !Number($("range").value);
  } catch (err) {
    $("chart-note").textContent = "history cannot be read: " + err.message;
    return;
  }
  drawHistory();
}
function drawHistory() {
  if (!history) return;
  const hs = Object.keys(history.series).sort();
  const now = Date.now();
  let t0 = now - history.hours * 3600000;
  if (history.auto) {
    // from the first sample, but at least 30 intervals, so a short history is not squeezed into a spike
    const first = Math.min(now, ...hs.map((h) => (history.series[h][0] ? history.series[h][0].t : now)));
    t0 = Math.max(t0, Math.min(first - history.intervalMs, now - 30 * history.intervalMs));
  }
  const mk = (f) => hs.map((h, i) => ({ name: h, color: COLORS[i % COLORS.length], points: history.series[h].filter((p) => p[f] !== undefined && p.t >= t0).map((p) => ({ t: p.t, v: p[f] })) }));
  const per = history.intervalMs >= 60000 ? "/min" : "/" + Math.round(history.intervalMs / 1000) + "s";
  drawChart($("chart-lag"), "Lag (waiting + in flight)", " jobs", mk("lag"), t0, now, history.intervalMs);
  drawChart($("chart-throughput"), "Throughput (jobs finished " + per + ")", "", mk("throughput"), t0, now, history.intervalMs);
  drawChart($("chart-failed"), "Failures (failed for good " + per + ")", "", mk("failed"), t0, now, history.intervalMs);
  drawChart($("chart-wait"), "Queue wait (mean)", " s", mk("wait_s"), t0, now, history.intervalMs);
  const n = hs.reduce((a, h) => a + history.series[h].length, 0);
  $("chart-note").textContent = n ? "one sample per handler every " + ago(history.intervalMs) + ", kept in NATS (stream DOCCTL_HISTORY)" : "no samples yet: workers and managers write one per handler every " + ago(history.intervalMs);
}
$("range").addEventListener("change", loadHistory);
let resizeT;
window.addEventListener("resize", () => { clearTimeout(resizeT); resizeT = setTimeout(drawHistory, 150); });

// ---- overview
function drawOverview(o) {
  const w = o.worker;
  $("kind").textContent = w.kind;
  $("worker-id").textContent = w.id;
  $("worker-state").textContent = w.state;
  $("counters").textContent = w.kind === "manager" ? (o.manager ? o.manager.provider + " provider" : "") : w.done + " done · " + w.failed + " failed · " + w.retried + " retried";
  $("inflight-box").hidden = w.kind === "manager";
  if (o.servers) {
    $("servers-box").hidden = false;
    $("servers-count").textContent = o.servers.length;
    const m = o.manager;
    if (m) $("manager-line").textContent = "manager " + m.id + " · " + m.provider + " · " + (m.leader ? "leading" : "standby") + (m.desired === null ? "" : " · wants " + m.desired) + (m.lastReason ? " · " + m.lastReason : "");
    $("halted").style.display = m && m.halted ? "block" : "none";
    $("halted").textContent = m && m.halted ? m.halted : "";
    fill("servers", o.servers.map((s) => row([el("td", { class: "code" }, s.name), el("td", { class: "code muted" }, s.workerId), el("td", {}, stBadge(s.state)), el("td", { class: "muted" }, s.why)], { "data-testid": "server-row", "data-state": s.state })), "no servers", 4);
  }
  fill("queues", o.queues.map((q) => row([
    el("td", { class: "code" }, q.handler),
    el("td", { class: "num" }, q.pending), el("td", { class: "num" }, q.ackPending), el("td", { class: "num" }, q.lag),
    el("td", { class: "num" }, q.oldestAgeS ? dur(q.oldestAgeS) : "–"),
    el("td", { class: "num" + (q.dead ? " bad" : "") }, q.dead),
    el("td", {}, q.paused ? stBadge("paused") : stBadge("running")),
    el("td", {}, el("div", { class: "btns" },
      q.paused ? actionButton("Resume", "api/handlers/resume", { handler: q.handler }, "resume " + q.handler) : actionButton("Pause", "api/handlers/pause", { handler: q.handler }, "pause " + q.handler),
      actionButton("Drain", "api/handlers/drain", { handler: q.handler }, "drain " + q.handler),
      actionButton("Purge", "api/handlers/purge", { handler: q.handler }, "purge " + q.handler, { danger: true, confirmWord: q.handler, confirmText: "Purge removes all " + q.pending + " waiting jobs of " + q.handler + " for good (jobs in flight finish)." }))),
  ], { "data-testid": "queue-row", "data-handler": q.handler })), "no queues yet", 8);
  $("handler-list").replaceChildren(...o.queues.map((q) => el("option", { value: q.handler })));
  $("workers-count").textContent = o.workers.length;
  const rows = [];
  for (const wk of o.workers) {
    const st = wk.stale ? "stale" : wk.state;
    rows.push(row([
      el("td", {}, el("b", { class: "code" }, wk.id), wk.self ? el("span", { class: "muted" }, " (this one)") : "", el("div", { class: "muted" }, [wk.host, wk.version, Object.entries(wk.labels || {}).map(([k, v]) => k + "=" + v).join(" ")].filter(Boolean).join(" · "))),
      el("td", {}, stBadge(st), wk.stale ? el("div", { class: "muted" }, "no presence for " + ago(o.now - wk.updated_at)) : ""),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.restarts, 0)),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + (p.watchdog_kills || 0), 0)), "", "",
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.jobs_done, 0)),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.jobs_failed, 0)),
      el("td", { class: "num" }, wk.in_flight),
      el("td", {}, el("div", { class: "btns" },
        wk.state === "paused" ? actionButton("Resume", "api/workers/resume", { worker: wk.id }, "resume " + wk.id) : actionButton("Pause", "api/workers/pause", { worker: wk.id }, "pause " + wk.id),
        actionButton("Drain", "api/workers/drain", { worker: wk.id }, "drain " + wk.id, { danger: true, confirmWord: wk.id, confirmText: "Drain stops worker " + wk.id + " once its jobs in flight finish." }))),
    ], { "data-testid": "worker-row", "data-id": wk.id }));
    for (const p of wk.procs) {
      const ex = p.last_exit;
      const exit = ex ? (ex.signal ? "signal " + ex.signal : "code " + ex.code) + (ex.planned ? " (planned)" : "") + " after " + ago(ex.ran_ms) + ", " + ago(o.now - ex.at) + " ago" + (p.last_kill && ex.signal === "SIGKILL" ? " — watchdog: " + p.last_kill : "") : "–";
      rows.push(row([
        el("td", { class: "code" }, "↳ " + p.name + (p.handler ? " [" + p.handler + "]" : "") + (p.pid ? " pid " + p.pid : "")),
        el("td", {}, stBadge(p.state), p.loop && p.loop !== "running" ? el("span", {}, " loop ", stBadge(p.loop)) : ""),
        el("td", { class: "num" + (p.restarts ? " warn" : "") }, p.restarts),
        el("td", { class: "num" + (p.watchdog_kills ? " bad" : ""), title: p.last_kill || undefined }, p.watchdog_kills || 0),
        el("td", { class: "muted" }, exit),
        el("td", { class: "num" }, bytes(p.rss)),
        el("td", { class: "num" }, p.jobs_done), el("td", { class: "num" }, p.jobs_failed), el("td", { class: "num" }, p.in_flight), "",
      ], { class: "sub", "data-testid": "proc-row", "data-state": p.state }));
    }
  }
  fill("workers", rows, o.worker.kind === "manager" ? "no workers registered (the fleet is at zero)" : "no workers announced", 10);
  $("dead-count").textContent = o.deadTotal;
  $("retry-all").disabled = actions === "disabled" || o.deadTotal === 0;
  $("delete-all").disabled = actions === "disabled" || o.deadTotal === 0;
  fill("dead", o.dead.map((d) => row([
    el("td", { class: "muted", title: new Date(d.failedAt).toISOString() }, ago(o.now - d.failedAt) + " ago"),
    el("td", { class: "code" }, d.id ? el("a", { href: "#job/" + encodeURIComponent(d.id) }, d.id) : "(undecodable)"),
    d.handler,
    el("td", {}, el("span", { class: "bad code" }, d.code), " ", d.message),
    el("td", { class: "num" }, d.attempts),
    el("td", { class: "code muted hide-narrow" }, d.worker),
    el("td", {}, d.id ? el("div", { class: "btns" }, actionButton("Retry", "api/dead/retry", { id: d.id }, "retry " + d.id), actionButton("Delete", "api/dead/delete", { id: d.id }, "delete dead letter " + d.id, { danger: true })) : ""),
  ], { "data-testid": "dead-row", "data-id": d.id || "" })), "no dead letters: nothing failed for good", 7);
  for (const b of document.querySelectorAll('#dead button[data-action="dead-retry"]')) b.setAttribute("data-testid", "retry");
  const progress = (p) => !p ? "" : [p.fraction !== undefined ? Math.round(p.fraction * 100) + "%" : "", p.total !== undefined ? "(" + (p.done ?? 0) + "/" + p.total + ")" : "", p.message ?? ""].filter(Boolean).join(" ");
  fill("inflight", w.inFlight.map((j) => row([el("td", { class: "code" }, el("a", { href: "#job/" + encodeURIComponent(j.id) }, j.id)), j.handler, el("td", { class: "num" }, ago(o.now - j.startedAt)), el("td", { "data-testid": "progress" }, progress(j.progress))], { "data-testid": "inflight-row", "data-id": j.id })), "idle", 4);
}
$("retry-all").addEventListener("click", () => act("api/dead/retry", { all: true }, "retry all"));
$("delete-all").addEventListener("click", () => { if (prompt("Delete every dead letter for good? Type delete all to confirm:") === "delete all") act("api/dead/delete", { all: true, confirm: "delete all" }, "delete all dead letters"); });

// ---- jobs
for (const s of STATES) $("f-state").append(el("option", { value: s }, s));
let cursors = [""];
function jobQuery() {
  const p = new URLSearchParams();
  for (const [k, id] of [["state", "f-state"], ["handler", "f-handler"], ["batch", "f-batch"], ["q", "f-q"]]) if ($(id).value.trim()) p.set(k, $(id).value.trim());
  return p;
}
let jobsSeq = 0;
async function drawJobs() {
  // a slower answer to an earlier query must not replace a newer one
  const seq = ++jobsSeq;
  const p = jobQuery();
  p.set("limit", "50");
  const cur = cursors[cursors.length - 1];
  if (cur) p.set("cursor", cur);
  let r;
  try { r = await api("api/jobs?" + p); } catch (err) { if (seq === jobsSeq) $("jobs-note").textContent = "cannot list jobs: " + err.message; return; }
  if (seq !== jobsSeq) return;
  $("jobs-total").textContent = r.total;
  for (const o of $("f-state").options) if (o.value) o.textContent = o.value + " (" + (r.counts[o.value] ?? 0) + ")";
  $("jobs-note").textContent = r.truncated ? "only the newest results are listed (the results stream holds more)" : "";
  fill("jobs", r.jobs.map((j) => row([
    el("td", { class: "code" }, el("a", { href: "#job/" + encodeURIComponent(j.id) }, j.id)),
    el("td", {}, stBadge(j.state)), j.handler || "", el("td", { class: "code muted hide-narrow" }, j.batch && j.batch !== j.id ? j.batch : ""),
    el("td", { class: "muted" }, j.at ? ago(Date.now() - j.at) + (j.at > Date.now() ? " from now" : " ago") : ""),
    el("td", { class: "num" }, j.attempts ?? ""),
    el("td", {}, j.error ? el("span", {}, el("span", { class: "bad code" }, j.error.code), " ", j.error.message) : ""),
  ], { "data-testid": "job-row", "data-id": j.id, "data-state": j.state })), "no jobs match", 7);
  const start = (cursors.length - 1) * 50;
  $("page-line").textContent = r.total ? (start + 1) + "–" + (start + r.jobs.length) + " of " + r.total : "";
  $("prev").disabled = cursors.length <= 1;
  $("next").disabled = !r.next;
  $("next").onclick = () => { cursors.push(r.next); drawJobs(); };
}
$("prev").addEventListener("click", () => { if (cursors.length > 1) cursors.pop(); drawJobs(); });
$("job-filters").addEventListener("submit", (ev) => { ev.preventDefault(); cursors = [""]; drawJobs(); });

let jobSeq = 0;
async function drawJob(id) {
  const seq = ++jobSeq;
  let d;
  try { d = await api("api/job?id=" + encodeURIComponent(id)); } catch (err) {
    if (seq !== jobSeq) return;
    $("job-id").textContent = id;
    $("job-facts").replaceChildren(el("dd", { class: "bad" }, err.message));
    for (const k of ["job-attempts", "job-payload", "job-result", "job-workflow", "job-logs", "job-progress"]) $(k).replaceChildren();
    return;
  }
  if (seq !== jobSeq) return;
  $("job-id").textContent = id;
  const i = d.info, r = i.result;
  const facts = [["state", stBadge(i.state)], ["handler", i.handler], ["batch", i.batch], ["priority", i.priority], ["worker", i.worker ? i.worker + (i.proc ? " / " + i.proc : "") : undefined],
    ["attempt", i.attempt], ["submitted", when(i.submitted_at)], ["runs at", when(i.run_at)], ["queue position", i.position], ["started", when(i.started_at || (r && r.started_at))],
    ["finished", r ? when(r.finished_at) : undefined], ["ran for", r ? dur((r.finished_at - r.started_at) / 1000) : i.started_at ? ago(Date.now() - i.started_at) + " so far" : undefined],
    ["error", r && r.error ? r.error.code + ": " + r.error.message : undefined]];
  $("job-facts").replaceChildren(...facts.filter(([, v]) => v !== undefined && v !== "" && v !== null).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const p = i.progress;
  $("job-progress").replaceChildren(...(p ? [el("label", {}, "progress", el("progress", { max: 1, value: p.fraction ?? 0, "aria-label": "progress" })), el("span", {}, " " + [p.fraction !== undefined ? Math.round(p.fraction * 100) + "%" : "", p.total !== undefined ? (p.done ?? 0) + "/" + p.total : "", p.message || ""].join(" "))] : []));
  $("job-attempts").replaceChildren(...(d.attempts.length ? d.attempts.map((a) => el("li", { "data-testid": "attempt" },
    el("b", {}, a.n ? "attempt " + a.n : "delivery"), " · " + a.outcome + (a.worker ? " · " + a.worker : "") + (a.at ? " · " + when(a.at) : ""),
    a.error ? el("div", {}, el("span", { class: "bad code" }, a.error.code), " ", a.error.message) : "",
    a.error && a.error.stack ? el("details", {}, el("summary", {}, "stack"), el("pre", {}, a.error.stack)) : "")) : [el("li", { class: "muted" }, "no attempt yet")]));
  const wf = i.workflow;
  $("job-workflow").replaceChildren(wf ? el("ul", { class: "tree" }, el("li", {}, (wf.kind === "chain" ? "chain" : "batch, then") + " " + (i.batch || "")), ...wf.steps.map((s) => el("li", {}, el("a", { href: "#job/" + encodeURIComponent(s.id), class: "code" }, s.id), " " + s.handler + " ", s.state ? stBadge(s.state) : el("span", { class: "muted" }, "to come")))) : "not part of a workflow");
  $("job-payload").textContent = d.payload ? d.payload.text + (d.payload.cut ? "\\n(" + d.payload.bytes + " bytes in all)" : "") : d.payloadNote || "";
  $("job-result").textContent = d.result ? d.result.text : r && r.error ? r.error.code + ": " + r.error.message : "no result yet";
  $("job-logs").replaceChildren(...(d.logs.length ? [el("pre", {}, d.logs.map((l) => new Date(l.at).toISOString() + " " + l.level + " " + l.msg).join("\\n"))] : [d.logsNote || "no log lines"]));
  const cancel = $("job-cancel");
  const finished = ["done", "failed", "cancelled", "dead"].includes(i.state);
  cancel.hidden = finished;
  cancel.disabled = actions === "disabled";
  cancel.onclick = () => act("api/jobs/cancel", { id }, "cancel " + id);
}

// ---- schedules and delayed jobs
async function drawSchedules() {
  let r;
  try { r = await api("api/schedules"); } catch (err) { say(false, "cannot read schedules: " + err.message); return; }
  fill("schedules", r.schedules.map((s) => row([
    el("td", { class: "code" }, s.name),
    s.cron ? "cron " + s.cron + (s.tz ? " " + s.tz : "") : "every " + ago(s.every_ms),
    el("td", {}, s.next_at ? when(s.next_at) + " (in " + ago(s.next_at - r.now) + ")" : "never"),
    el("td", {}, s.last_at ? when(s.last_at) : "not yet", s.last_id ? el("div", {}, el("a", { href: "#job/" + encodeURIComponent(s.last_id), class: "code" }, s.last_id), " ", stBadge(s.last_state)) : ""),
    el("td", { class: "muted" }, when(s.created_at)),
    el("td", {}, actionButton("Run now", "api/schedules/run", { name: s.name }, "run " + s.name + " now")),
  ], { "data-testid": "schedule-row", "data-name": s.name })), "no schedules (docctl schedule add)", 6);
  $("delayed-count").textContent = r.delayed.length;
  fill("delayed", r.delayed.map((j) => row([
    el("td", { class: "code" }, el("a", { href: "#job/" + encodeURIComponent(j.id) }, j.id)), j.handler || "",
    el("td", {}, when(j.run_at) + (j.run_at ? " (in " + ago(j.run_at - r.now) + ")" : "")),
    el("td", {}, el("div", { class: "btns" }, actionButton("Run now", "api/delayed/promote", { id: j.id }, "promote " + j.id), actionButton("Cancel", "api/delayed/cancel", { id: j.id }, "cancel " + j.id, { danger: true }))),
  ], { "data-testid": "delayed-row", "data-id": j.id })), "no delayed jobs", 4);
}

async function drawAudit() {
  let r;
  try { r = await api("api/audit"); } catch (err) { say(false, "cannot read the audit list: " + err.message); return; }
  fill("audit", r.entries.map((e) => row([
    el("td", { class: "muted" }, when(e.at)), el("td", { class: "code" }, e.who), el("td", { class: "code" }, e.action), el("td", { class: "code" }, e.target),
    el("td", { class: e.ok ? "ok" : "bad" }, (e.ok ? "ok: " : "failed: ") + e.detail), el("td", { class: "code muted" }, e.server),
  ], { "data-testid": "audit-row", "data-action": e.action, "data-target": e.target })), "no actions yet", 6);
}

// ---- routing: #overview, #jobs, #job/<id>, #schedules, #audit
async function refreshOverview() {
  try {
    overview = await api("api/overview");
  } catch (err) {
    $("updated").textContent = "cannot reach the server: " + err.message;
    return;
  }
  actions = overview.actions;
  $("token-box").style.display = actions === "token" ? "inline-flex" : "none";
  $("updated").textContent = "updated " + new Date(overview.now).toLocaleTimeString();
  if (current() === "overview") drawOverview(overview);
  else { $("kind").textContent = overview.worker.kind; $("worker-id").textContent = overview.worker.id; $("worker-state").textContent = overview.worker.state; }
}
function current() {
  const h = location.hash.replace(/^#/, "");
  return h.startsWith("job/") ? "job" : ["jobs", "schedules", "audit"].includes(h) ? h : "overview";
}
async function route() {
  const v = current();
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + v;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === v || (v === "job" && a.dataset.view === "jobs")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  await refreshOverview();
  if (v === "overview") await loadHistory();
  else if (v === "jobs") await drawJobs();
  else if (v === "job") await drawJob(decodeURIComponent(location.hash.slice(5)));
  else if (v === "schedules") await drawSchedules();
  else if (v === "audit") await drawAudit();
}
window.addEventListener("hashchange", () => { $("message").textContent = ""; route(); });
route();
let tick = 0;
setInterval(() => {
  tick++;
  const v = current();
  if (v === "overview") { refreshOverview(); if (tick % 5 === 0) loadHistory(); }
  else if (v === "job") drawJob(decodeURIComponent(location.hash.slice(5)));
  else if (v === "schedules" && tick % 3 === 0) drawSchedules();
}, 2000);
</script>
</body>
</html>
`;
