// console.js, part 6: routing between the views (#overview, #jobs, #job/<id>, #schedules, #audit) and refresh.
export const SCRIPT_ROUTES = `// ---- routing: #overview, #jobs, #job/<id>, #schedules, #audit
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
`;
