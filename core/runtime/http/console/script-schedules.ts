// console.js, part 5: schedules, delayed jobs and the audit list.
export const SCRIPT_SCHEDULES = `// ---- schedules and delayed jobs
async function drawSchedules() {
  let r;
  try { r = await api("api/schedules"); } catch (err) { say(false, "cannot read schedules: " + err.message); return; }
  fill("schedules", r.schedules.map((s) => row([
    el("td", {}, el("span", { class: "code" }, s.name), " ", stBadge(s.paused ? "paused" : "active")),
    s.cron ? "cron " + s.cron + (s.tz ? " " + s.tz : "") : "every " + ago(s.every_ms),
    el("td", {}, s.paused ? "paused: nothing fires" : s.next_at ? when(s.next_at) + " (in " + ago(s.next_at - r.now) + ")" : "never"),
    el("td", {}, s.last_at ? when(s.last_at) : "not yet", s.last_id ? el("div", {}, el("a", { href: "#job/" + encodeURIComponent(s.last_id), class: "code" }, s.last_id), " ", stBadge(s.last_state)) : ""),
    el("td", { class: "muted" }, when(s.created_at)),
    el("td", {}, el("div", { class: "btns" },
      s.paused ? actionButton("Resume", "api/schedules/resume", { name: s.name }, "resume schedule " + s.name) : actionButton("Pause", "api/schedules/pause", { name: s.name }, "pause schedule " + s.name),
      actionButton("Run now", "api/schedules/run", { name: s.name }, "run " + s.name + " now"))),
  ], { "data-testid": "schedule-row", "data-name": s.name, "data-paused": s.paused ? "yes" : "no" })), "no schedules (docctl schedule add)", 6);
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

`;
