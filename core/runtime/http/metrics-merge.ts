// Merges the /metrics of a supervisor's procs into one exposition: each sample gets a `proc` label,
// each family's HELP/TYPE appears once. Pure text in, text out.

export interface ProcExposition {
  proc: string;
  text: string;
}

/** One exposition from several procs' (families for which `keep` says no are left out). */
export function mergeExpositions(parts: ProcExposition[], keep: (family: string) => boolean = () => true): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const fam = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const { proc, text } of parts) {
    const types = new Map<string, string>();
    for (const line of text.split("\n")) {
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta;
        if (kind === "TYPE") types.set(name!, rest!);
        if (!keep(name!)) continue;
        const f = fam(name!);
        if (kind === "HELP") f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (!line || line.startsWith("#")) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (.*)$/.exec(line);
      if (!m) continue;
      const [, name, labels, rest] = m;
      const base = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, "");
      if (!keep(base)) continue;
      const procLabel = `proc="${proc.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
      const merged = labels && labels !== "{}" ? `{${procLabel},${labels.slice(1)}` : `{${procLabel}}`;
      fam(base).samples.push(`${name}${merged} ${rest}`);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return out.length ? out.join("\n") + "\n" : "";
}
