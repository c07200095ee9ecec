// console.js, part 4: the job browser and a job's page.
export const SCRIPT_JOBS = `// ---- jobs
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
// a whole id goes straight to the job's page (direct look-ups: no scan, whatever the number of results)
$("job-open").addEventListener("submit", (ev) => { ev.preventDefault(); const id = $("open-id").value.trim(); if (id) location.hash = "#job/" + encodeURIComponent(id); });

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

`;
