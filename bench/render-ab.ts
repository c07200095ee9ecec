// A/B of the render library: CPU per plain invoice (examples/invoice) of two checkouts in one process,
// alternating rounds, so a shared, loaded machine hits both alike.
//   git worktree add /tmp/old <commit> && ln -s $PWD/node_modules /tmp/old/node_modules
//   bun bench/render-ab.ts /tmp/old .
import { resolve } from "node:path";
const [oldR, newR] = await Promise.all([process.argv[2], process.argv[3] ?? "."].map(async (dir) => {
  const root = resolve(dir);
  const { Renderer } = await import(`${root}/core/render/renderer.ts`);
  const { loadFonts } = await import(`${root}/core/render/fonts.ts`);
  await loadFonts();
  const ex = `${root}/examples/invoice`;
  const t = { name: "invoice", kind: "layout", base: await Bun.file(`${ex}/base.pdf`).bytes(), layout: await Bun.file(`${ex}/layout.json`).json(), pages: 1 };
  const data = await Bun.file(`${ex}/data.json`).json();
  const r = new Renderer();
  return async (i: number) => (await r.render(t, { ...data, number: `INV-${i}` })).bytes.length;
}));
for (let i = 0; i < 50; i++) { await oldR(-i); await newR(-i); }
const cpu = { old: 0, new: 0 };
for (let round = 0; round < 10; round++) {
  for (const [k, f] of [["old", oldR], ["new", newR]] as const) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 40; i++) await f(round * 1000 + i);
    const c = process.cpuUsage(c0);
    cpu[k] += (c.user + c.system) / 1000;
  }
}
console.log(`plain invoice, ms CPU per document (400 each, alternating rounds of 40): A ${(cpu.old / 400).toFixed(2)}, B ${(cpu.new / 400).toFixed(2)} (B/A ${(cpu.new / cpu.old).toFixed(2)})`);
