// Checking rendered PDFs with independent tools (qpdf, poppler's pdftotext) and making base PDFs for tests.
import { readdirSync, readFileSync } from "node:fs";
import { PDFDocument, StandardFonts } from "pdf-lib";

/** Runs a command; returns exit code and output. */
export async function run(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", cwd: opts.cwd, env: opts.env ?? process.env });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, stdout, stderr };
}

/** `qpdf --check` on bytes written to `path`; throws with qpdf's output when it fails. */
export async function qpdfCheck(path: string): Promise<void> {
  const r = await run(["qpdf", "--check", path]);
  if (r.code !== 0) throw new Error(`qpdf --check ${path} failed (${r.code}):\n${r.stdout}${r.stderr}`);
}

/** Text of one page (1-based), optionally only inside a box in points from the top-left corner. */
export async function pdfText(path: string, opts: { page?: number; box?: { x: number; y: number; w: number; h: number }; layout?: boolean } = {}): Promise<string> {
  const args = ["pdftotext", "-enc", "UTF-8"];
  if (opts.layout !== false) args.push("-layout");
  if (opts.page) args.push("-f", String(opts.page), "-l", String(opts.page));
  if (opts.box) args.push("-x", String(Math.round(opts.box.x)), "-y", String(Math.round(opts.box.y)), "-W", String(Math.round(opts.box.w)), "-H", String(Math.round(opts.box.h)));
  const r = await run([...args, path, "-"]);
  if (r.code !== 0) throw new Error(`pdftotext failed: ${r.stderr}`);
  return r.stdout;
}

/** Number of pages per `pdfinfo`. */
export async function pdfPages(path: string): Promise<number> {
  const r = await run(["pdfinfo", path]);
  const m = /^Pages:\s+(\d+)/m.exec(r.stdout);
  if (!m) throw new Error(`pdfinfo ${path}: ${r.stderr}`);
  return Number(m[1]);
}

/** A plain A4 base PDF with `pages` pages, each saying "BASE PAGE n" at the top. */
export async function makeBasePdf(pages = 1): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) doc.addPage([595.28, 841.89]).drawText(`BASE PAGE ${i}`, { x: 40, y: 800, size: 12, font });
  return await doc.save();
}

/** Command lines of every live descendant of this process (Linux /proc), to check nothing is left running. */
export function descendantCommands(root = process.pid): string[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parent.set(Number(d), Number(fields[1]));
    } catch {
      // the process exited while we looked
    }
  }
  const out: string[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    while (p !== undefined && p !== root && p > 1) p = parent.get(p);
    if (p !== root) continue;
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim());
    } catch {}
  }
  return out;
}
