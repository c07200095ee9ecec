// The console's page: the document (header, navigation and one hidden section per view) that
// console.js fills in. No inline script or style element: the CSP allows scripts from this server only.
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>docctl console</title>
<link rel="stylesheet" href="console.css">
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
    <form class="filters" id="job-open"><label for="open-id">open a job by its whole id <input id="open-id" size="24" autocomplete="off"></label><button type="submit">Open</button></form>
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
    <p class="muted">Schedules fire in the NATS server (no docctl process needed); pausing one removes its schedule messages until it is resumed. Remove one with <span class="code">docctl schedule rm NAME</span>.</p>
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

<script src="console.js"></script>
</body>
</html>
`;
