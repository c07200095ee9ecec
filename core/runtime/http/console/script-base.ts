// console.js, part 1: shared helpers (DOM building, formatting, the JSON API, actions with their
// token and typed confirmations).
export const SCRIPT_BASE = `"use strict";
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

`;
