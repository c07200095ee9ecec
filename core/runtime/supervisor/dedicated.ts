// Parses `--dedicated pdf=2,title=1` (procs that serve one handler only, like GearmanManager's dedicated_count).
import { ConfigError } from "../protocol/errors.ts";
import { tokenProblem } from "../protocol/subjects.ts";

/** `pdf=2,title=1` → `{pdf: 2, title: 1}`; an error names the part that is wrong. */
export function parseDedicated(text: string, option = "--dedicated"): Record<string, number> {
  const out: Record<string, number> = {};
  const parts = text.split(",").map((s) => s.trim());
  for (const part of parts) {
    if (!part) throw new ConfigError(`${option} "${text}": empty entry; use HANDLER=COUNT[,HANDLER=COUNT...], like pdf=2,title=1`, option);
    const m = /^([^=]*)=(.*)$/.exec(part);
    if (!m) throw new ConfigError(`${option}: "${part}" must be HANDLER=COUNT, like pdf=2`, option);
    const [, handler, count] = m as unknown as [string, string, string];
    const bad = tokenProblem(handler);
    if (bad) {
      throw new ConfigError(`${option}: "${part}": the handler name "${handler}" ${bad}`, option);
    }
    if (!/^\d+$/.test(count) || Number(count) < 1) {
      throw new ConfigError(`${option}: "${part}": the count "${count}" must be a whole number of at least 1`, option);
    }
    if (handler in out) throw new ConfigError(`${option}: "${handler}" is given twice`, option);
    out[handler] = Number(count);
  }
  return out;
}

/** `--label zone=fra1 --label role=pdf` → `{zone: "fra1", role: "pdf"}`. */
export function parseLabels(items: string[], option = "--label"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    if (i <= 0) throw new ConfigError(`${option}: "${item}" must be KEY=VALUE, like zone=fra1`, option);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}
