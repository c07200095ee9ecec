// A/B of the cold first batch (bench/render.ts --cold-only) for two or more docctl binaries, runs
// alternating so a shared machine's load hits each alike: per binary, a fresh nats-server, the invoice
// template put with that binary, `docctl worker --procs 2 --handlers pdf` started, then at once
// `docctl submit batch.json --out DIR` with N invoices. Prints docs/s and where the CPU went: the
// worker's procs (start-up until they pull, then the batch), the submit, the nats-server.
//   node_modules/.bin/bun bench/render-cold-ab.ts OLD_BIN,NEW_BIN [invoices=200] [rounds=3]
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../test/helpers/nats.ts";
import { invoiceData } from "./render.ts";
import { exitedCpuMs, treeCpuMs } from "./proc-cpu.ts";

const EX = join(import.meta.dir, "../examples/invoice");
const bins = (process.argv[2] ?? "dist/docctl").split(",");
const [n, rounds] = [Number(process.argv[3] ?? 200), Number(process.argv[4] ?? 3)];
const sample = await Bun.file(join(EX, "data.json")).json();

async function waitPulling(stderr: ReadableStream<Uint8Array>, procs: number): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const c of stderr) if (((buf += dec.decode(c)).match(/pulling/g) ?? []).length >= procs) break;
  void (async () => {
    for await (const _ of stderr);
  })();
}

const res = new Map<string, number[]>();
const add = (k: string, v: number) => res.set(k, [...(res.get(k) ?? []), v]);
const dir = mkdtempSync(join(tmpdir(), "docctl-cold-ab-"));
const file = join(dir, "batch.json");
await Bun.write(file, JSON.stringify({ handler: "pdf", batch: Array.from({ length: n }, (_, i) => ({ template: "invoice", data: invoiceData(sample, i), filename: `inv-${i}.pdf` })) }));
try {
  for (let r = 0; r < rounds; r++) {
    for (const bin of bins) {
      const nats = await startNatsServer();
      try {
        const put = Bun.spawnSync([bin, "template", "put", "invoice", join(EX, "base.pdf"), "--layout", join(EX, "layout.json"), "--nats", nats.url], { stderr: "pipe" });
        if (put.exitCode !== 0) throw new Error(`${bin} template put: ${put.stderr.toString().slice(-500)}`);
        const t00 = performance.now();
        const w = Bun.spawn([bin, "worker", "--nats", nats.url, "--handlers", "pdf", "--procs", "2", "-v"], { stderr: "pipe", stdout: "ignore" });
        await waitPulling(w.stderr, 2);
        add(`${bin} worker start to pulling, ms wall`, performance.now() - t00);
        const w0 = treeCpuMs(w.pid);
        add(`${bin} worker start-up, ms CPU`, w0);
        const s0 = treeCpuMs(nats.proc.pid);
        const out = join(dir, `out-${r}-${bins.indexOf(bin)}`);
        const t0 = performance.now();
        const s = Bun.spawn([bin, "submit", file, "--out", out, "--nats", nats.url, "--timeout", "10m"], { stdout: "ignore", stderr: "pipe" });
        const [code, err] = await Promise.all([s.exited, new Response(s.stderr).text()]);
        if (code !== 0) throw new Error(`${bin} submit exited ${code}: ${err.slice(-500)}`);
        add(`${bin} cold docs/s`, n / ((performance.now() - t0) / 1000));
        add(`${bin} worker ms CPU per doc (batch)`, (treeCpuMs(w.pid) - w0) / n);
        add(`${bin} nats-server ms CPU per doc`, (treeCpuMs(nats.proc.pid) - s0) / n);
        add(`${bin} submit ms CPU per doc`, exitedCpuMs(s) / n);
        if (readdirSync(out).length !== n) throw new Error(`${bin}: ${readdirSync(out).length} PDFs, expected ${n}`);
        rmSync(out, { recursive: true, force: true });
        w.kill("SIGTERM");
        await w.exited;
      } finally {
        await nats.cleanup();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`cold first batch, ${n} invoices, worker --procs 2, ${rounds} rounds alternating; median (all runs):`);
for (const [key, v] of res) console.log(`  ${key}: ${med(v).toFixed(2)}  (${v.map((x) => x.toFixed(2)).join(", ")})`);
