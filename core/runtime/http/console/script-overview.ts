// console.js, part 3: the overview (servers, queues, workers and their procs, dead letters, jobs running).
export const SCRIPT_OVERVIEW = `// ---- overview
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
      el("td", {}, stBadge(st), wk.stale ? el("div", { class: "muted" }, "no presence for " + ago(o.now - wk.updated_at) + (wk.expired_at ? " (entry expired: not stopped cleanly; last known state " + wk.state + ")" : "")) : ""),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.restarts, 0)),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + (p.watchdog_kills || 0), 0)), "", "",
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.jobs_done, 0)),
      el("td", { class: "num" }, wk.procs.reduce((a, p) => a + p.jobs_failed, 0)),
      el("td", { class: "num" }, wk.in_flight),
      el("td", {}, el("div", { class: "btns" },
        wk.state === "paused" ? actionButton("Resume", "api/workers/resume", { worker: wk.id }, "resume " + wk.id) : actionButton("Pause", "api/workers/pause", { worker: wk.id }, "pause " + wk.id),
        actionButton("Drain", "api/workers/drain", { worker: wk.id }, "drain " + wk.id, { danger: true, confirmWord: wk.id, confirmText: "Drain stops worker " + wk.id + " once its jobs in flight finish." }))),
    ], { "data-testid": "worker-row", "data-id": wk.id, "data-state": st }));
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
      ], { class: "sub", "data-testid": "proc-row", "data-state": p.state, "data-loop": p.loop || "" }));
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

`;
