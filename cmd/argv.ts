// Pure decisions about the command line, apart from parsing: global options before the command,
// "did you mean", unknown options named cleanly, and DOCCTL_* variables nothing reads.
import type { OptionSpec } from "./command.ts";

/** Levenshtein distance, for suggestions. */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo (or `word` is its prefix). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  if (best === undefined) return undefined;
  const max = Math.max(1, Math.min(3, Math.floor(best.length / 3)));
  if (bestD <= max) return best;
  const prefixed = [...candidates].filter((c) => c.startsWith(word) && word.length >= 2);
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/**
 * `docctl --nats URL -v submit job.json` → command "submit" with the global options moved after it,
 * where the command's parser reads them. Stops at the first argument that is not a global option
 * (or its value): that is the command (or an unknown option, reported by the caller).
 */
export function commandFirst(argv: string[], globals: OptionSpec): { name: string | undefined; rest: string[]; leading: string[] } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    const spec = optionOf(a, globals);
    if (!spec) break;
    leading.push(a);
    i++;
    if (spec.type === "string" && !a.includes("=") && a.startsWith("--") && i < argv.length) leading.push(argv[i++]!);
  }
  return { name: argv[i], rest: [...argv.slice(i + 1), ...leading], leading };
}

// The descriptor `arg` names in `spec` (`--name`, `--name=v`, `-v`, `-vvv`), if any.
function optionOf(arg: string, spec: OptionSpec): OptionSpec[string] | undefined {
  if (arg.startsWith("--")) return spec[arg.slice(2).split("=")[0]!];
  if (/^-[A-Za-z]+$/.test(arg)) {
    const shorts = Object.values(spec).filter((s) => s.short);
    const all = [...arg.slice(1)].map((ch) => shorts.find((s) => s.short === ch));
    if (all.every(Boolean) && (arg.length === 2 || all.every((s) => s!.type === "boolean"))) return all[0];
  }
  return undefined;
}

/**
 * The first option in `args` that `spec` does not have, as a sentence with a suggestion:
 * `unknown option --concurency (did you mean --concurrency?)`. Arguments after `--` are positional.
 */
export function unknownOption(args: string[], spec: OptionSpec): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a === "-" || !a.startsWith("-") || /^-\d/.test(a)) continue;
    const known = optionOf(a, spec);
    if (known) {
      if (known.type === "string" && !a.includes("=") && (a.startsWith("--") || a.length === 2)) i++; // its value
      continue;
    }
    const name = a.startsWith("--") ? a.slice(2).split("=")[0]! : a.slice(1);
    const longs = Object.keys(spec);
    if (!a.startsWith("--")) {
      const short = [...name].find((ch) => !Object.values(spec).some((s) => s.short === ch));
      const long = longs.find((l) => l === name);
      return long ? `unknown option -${name} (did you mean --${long}?)` : `unknown option -${short ?? name}`;
    }
    const hint = didYouMean(name, longs);
    return `unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ""}`;
  }
  return undefined;
}

/**
 * DOCCTL_* variables in `env` that nothing reads: a warning each, with the nearest known name.
 * `prefixes` are families read by pattern (DOCCTL_TEMPLATE_MAX_*).
 */
export function unknownEnv(env: Record<string, string | undefined>, known: Set<string>, prefixes: string[] = []): string[] {
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("DOCCTL_") || known.has(name) || prefixes.some((p) => name.startsWith(p))) continue;
    const hint = didYouMean(name, known);
    out.push(`${name} is set but is not a docctl setting${hint ? ` (did you mean ${hint}?)` : ""}; it is ignored`);
  }
  return out;
}
