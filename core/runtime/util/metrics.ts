// A small metrics registry rendered in the Prometheus text format (0.0.4): counters, gauges,
// histograms with labels, and collectors that read a value (lag, in-flight) when scraped.

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  series: Map<string, { labels: Labels; value: number; buckets?: number[]; sum?: number; count?: number }>;
  buckets?: number[];
}

/** A counter: only goes up. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}
/** A gauge: set to the current value. */
export interface Gauge {
  set(labels: Labels, value: number): void;
  /** forget every series (before a collector sets the current ones) */
  reset(): void;
}
/** A histogram of observed values (seconds for durations). */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** Default duration buckets, seconds: from 5 ms (an echo) to 5 min (a big render). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The set of metrics one process exposes. */
export class MetricsRegistry {
  private families = new Map<string, Family>();
  private collectors: (() => void | Promise<void>)[] = [];

  counter(name: string, help: string): Counter {
    const f = this.family(name, help, "counter");
    return { inc: (labels = {}, by = 1) => void (this.series(f, labels).value += by) };
  }

  gauge(name: string, help: string): Gauge {
    const f = this.family(name, help, "gauge");
    return { set: (labels, value) => void (this.series(f, labels).value = value), reset: () => f.series.clear() };
  }

  histogram(name: string, help: string, buckets = DURATION_BUCKETS): Histogram {
    const f = this.family(name, help, "histogram");
    f.buckets = [...buckets].sort((a, b) => a - b);
    return {
      observe: (labels, value) => {
        const s = this.series(f, labels);
        s.sum! += value;
        s.count! += 1;
        f.buckets!.forEach((le, i) => {
          if (value <= le) s.buckets![i]! += 1;
        });
      },
    };
  }

  /** Run `fn` before each render, e.g. to set gauges from a server (errors are ignored: stale is better than none). */
  collect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  /** Make a series exist at 0, so a rate() works from the first scrape. */
  touch(name: string, labels: Labels): void {
    const f = this.families.get(name);
    if (f) this.series(f, labels);
  }

  /** Everything in the Prometheus text exposition format. */
  async render(): Promise<string> {
    await Promise.all(this.collectors.map(async (c) => {
      try {
        await c();
      } catch {
        /* a collector that cannot read now leaves the last value */
      }
    }));
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.series.values()) {
        if (f.type !== "histogram") {
          out.push(`${f.name}${fmtLabels(s.labels)} ${fmtNum(s.value)}`);
          continue;
        }
        f.buckets!.forEach((le, i) => out.push(`${f.name}_bucket${fmtLabels({ ...s.labels, le: fmtNum(le) })} ${s.buckets![i]}`));
        out.push(`${f.name}_bucket${fmtLabels({ ...s.labels, le: "+Inf" })} ${s.count}`);
        out.push(`${f.name}_sum${fmtLabels(s.labels)} ${fmtNum(s.sum!)}`, `${f.name}_count${fmtLabels(s.labels)} ${s.count}`);
      }
    }
    return out.join("\n") + "\n";
  }

  private family(name: string, help: string, type: Family["type"]): Family {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name "${name}"`);
    const had = this.families.get(name);
    if (had) {
      if (had.type !== type) throw new Error(`metric ${name} is a ${had.type}, not a ${type}`);
      return had;
    }
    const f: Family = { name, help, type, series: new Map() };
    this.families.set(name, f);
    return f;
  }

  private series(f: Family, labels: Labels) {
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = f.series.get(key);
    if (!s) {
      s = { labels, value: 0, ...(f.type === "histogram" ? { buckets: f.buckets!.map(() => 0), sum: 0, count: 0 } : {}) };
      f.series.set(key, s);
    }
    return s;
  }
}

function fmtLabels(labels: Labels): string {
  const e = Object.entries(labels);
  if (!e.length) return "";
  return `{${e.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function fmtNum(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** What a proc finished since the dashboard's history last asked, per handler (see http/history.ts). */
export interface WorkCounts {
  done: number;
  failed: number;
  codes: Record<string, number>;
  wait_ms: number;
  waits: number;
}

/** Queue wait buckets, seconds: from 10 ms to an hour. */
export const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** What the worker loop counts, per handler. */
export class WorkerMetrics {
  readonly done: Counter;
  readonly failed: Counter;
  readonly retried: Counter;
  readonly dead: Counter;
  readonly duration: Histogram;
  readonly failures: Counter;
  readonly wait: Histogram;
  #work = new Map<string, WorkCounts>();
  constructor(readonly registry: MetricsRegistry) {
    this.done = registry.counter("docctl_jobs_done_total", "Jobs that finished with an ok result.");
    this.failed = registry.counter("docctl_jobs_failed_total", "Jobs that finished with a failed result (after their last attempt, or not retryable).");
    this.retried = registry.counter("docctl_jobs_retried_total", "Attempts that failed and were put back for a retry.");
    this.dead = registry.counter("docctl_jobs_dead_total", "Dead letters written (failed jobs and undecodable messages).");
    this.duration = registry.histogram("docctl_job_duration_seconds", "Time from the start of the last attempt to the result, by outcome.");
    this.failures = registry.counter("docctl_job_failures_total", "Jobs that failed for good, by handler and error code (CANCELLED included).");
    this.wait = registry.histogram("docctl_job_wait_seconds", "Queue wait of first attempts: from submit (or run_at) to the start of the attempt.", WAIT_BUCKETS);
  }

  /** Series at 0 for each handler, so dashboards see them before the first job. */
  init(handlers: string[]): void {
    for (const handler of handlers) {
      for (const n of ["docctl_jobs_done_total", "docctl_jobs_failed_total", "docctl_jobs_retried_total", "docctl_jobs_dead_total"]) this.registry.touch(n, { handler });
    }
  }

  /** A job's result was stored (`code`: the error code of a failed one). */
  finished(handler: string, ok: boolean, seconds: number, code?: string): void {
    (ok ? this.done : this.failed).inc({ handler });
    this.duration.observe({ handler, outcome: ok ? "ok" : "failed" }, seconds);
    const w = this.#counts(handler);
    if (ok) w.done++;
    else {
      w.failed++;
      const c = code ?? "UNKNOWN";
      w.codes[c] = (w.codes[c] ?? 0) + 1;
      this.failures.inc({ handler, code: c });
    }
  }

  /** An attempt started after waiting `seconds` in the queue. */
  waited(handler: string, seconds: number): void {
    const s = Math.max(0, seconds);
    this.wait.observe({ handler }, s);
    const w = this.#counts(handler);
    w.wait_ms += Math.round(s * 1000);
    w.waits++;
  }

  /** What was finished since the last call (the history writer takes it once per interval). */
  takeWork(): Map<string, WorkCounts> {
    const out = this.#work;
    this.#work = new Map();
    return out;
  }

  #counts(handler: string): WorkCounts {
    let w = this.#work.get(handler);
    if (!w) this.#work.set(handler, (w = { done: 0, failed: 0, codes: {}, wait_ms: 0, waits: 0 }));
    return w;
  }
}
