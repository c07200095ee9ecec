// console.js, part 2: the history charts. Hand-drawn SVG (axes, legends, hover and keyboard values)
// rather than a charting library: four line charts need ~120 lines, and a library would be one more
// asset to bundle, serve and keep up to date for no feature we use.
export const SCRIPT_CHARTS = `// ---- charts: SVG drawn here, hover and arrow keys show the values at a time
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

`;
