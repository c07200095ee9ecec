// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line must match
// the grammar, every sample must belong to a declared family, histograms must be consistent.
// (npm's parse-prometheus-text-format drops histogram labels, _sum and _count, so it could not check ours.)

export interface PromSample {
  labels: Record<string, string>;
  /** counters and gauges */
  value?: number;
  /** histograms: upper bound ("0.1", "+Inf") → cumulative count */
  buckets?: Record<string, number>;
  count?: number;
  sum?: number;
}
export interface PromFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  metrics: PromSample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const VALUE = "([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL.replace(/\(/g, "(?:").replace(/\(\?:\?:/g, "(?:")})(?:,(?:${LABEL.replace(/\(/g, "(?:").replace(/\(\?:\?:/g, "(?:")}))*)?\\})? ${VALUE}(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

/** Parse `text`, throwing on the first thing that is not valid exposition format. */
export function parseMetrics(text: string): Map<string, PromFamily> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const fams = new Map<string, PromFamily>();
  const fail = (i: number, why: string, line: string) => {
    throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
  };
  text.split("\n").slice(0, -1).forEach((line, i) => {
    let m: RegExpExecArray | null;
    if ((m = HELP.exec(line))) {
      const f = fams.get(m[1]!) ?? { name: m[1]!, help: "", type: "untyped" as const, metrics: [] };
      f.help = m[2]!.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      fams.set(f.name, f);
      return;
    }
    if ((m = TYPE.exec(line))) {
      const f = fams.get(m[1]!) ?? { name: m[1]!, help: "", type: "untyped" as const, metrics: [] };
      if (f.metrics.length) fail(i, "TYPE after samples", line);
      f.type = m[2] as PromFamily["type"];
      fams.set(f.name, f);
      return;
    }
    if (line.startsWith("#")) fail(i, "unknown comment", line);
    if (!(m = SAMPLE.exec(line))) return fail(i, "not a valid sample", line);
    const [, name, rawLabels = "", rawValue] = m;
    const labels: Record<string, string> = {};
    for (const l of rawLabels.matchAll(new RegExp(LABEL, "g"))) {
      if (l[1]! in labels) fail(i, `label ${l[1]} twice`, line);
      labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c) => (c === "n" ? "\n" : c));
    }
    const value = rawValue === "+Inf" || rawValue === "Inf" ? Infinity : rawValue === "-Inf" ? -Infinity : Number(rawValue);
    const hist = /^(.*)_(bucket|sum|count)$/.exec(name!);
    const hf = hist ? fams.get(hist[1]!) : undefined;
    if (hf?.type === "histogram") {
      const { le, ...rest } = labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      let s = hf.metrics.find((x) => JSON.stringify(Object.entries(x.labels).sort()) === key);
      if (!s) hf.metrics.push((s = { labels: rest, buckets: {} }));
      if (hist![2] === "bucket") {
        if (le === undefined) fail(i, "bucket without le", line);
        s.buckets![le!] = value;
      } else if (hist![2] === "sum") s.sum = value;
      else s.count = value;
      return;
    }
    const f = fams.get(name!);
    if (!f) return fail(i, "sample of an undeclared family", line);
    if (f.type === "histogram") fail(i, "bare sample of a histogram", line);
    f.metrics.push({ labels, value });
  });
  for (const f of fams.values()) {
    if (f.type !== "histogram") continue;
    for (const s of f.metrics) {
      // numeric keys come first in a JS object: order the bounds by value
      const counts = Object.entries(s.buckets!).sort(([a], [b]) => Number(a.replace("+Inf", "Infinity")) - Number(b.replace("+Inf", "Infinity"))).map(([, c]) => c);
      if (s.buckets!["+Inf"] === undefined || s.count === undefined || s.sum === undefined) throw new Error(`${f.name}: a series lacks +Inf, _sum or _count`);
      if (s.buckets!["+Inf"] !== s.count) throw new Error(`${f.name}: +Inf bucket ${s.buckets!["+Inf"]} != _count ${s.count}`);
      if (counts.some((c, j) => j > 0 && c < counts[j - 1]!)) throw new Error(`${f.name}: buckets are not cumulative`);
    }
  }
  return fams;
}

/** The sample of `name` whose labels include `labels`. */
export function sample(m: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): PromSample | undefined {
  return m.get(name)?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
