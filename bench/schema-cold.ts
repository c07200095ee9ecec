// What the schemas cost a cold process: importing the codec and the job-file reader, the first
// parseJobFile (compiles the job-file schema), the first decodeJob (compiles the job schema's fast
// twin) and the first bad job (compiles the explained schema). Run it once per process:
//   node_modules/.bin/bun bench/schema-cold.ts [tree, default this one]   (a worktree of an older commit to compare)
const tree = process.argv[2] ?? `${import.meta.dir}/..`;
const t0 = performance.now();
const { parseJobFile } = await import(`${tree}/core/runtime/client/jobfile.ts`);
const { decodeJob, encodeJob } = await import(`${tree}/core/runtime/protocol/codec.ts`);
const t1 = performance.now();
parseJobFile(`{"handler": "echo", "payload": {}}`, "j.json");
const t2 = performance.now();
decodeJob(encodeJob({ v: 1, id: "a", batch: "a", handler: "h", payload: {}, submitted_at: 1 }));
const t3 = performance.now();
const bad = decodeJob(encodeJob({ v: 1, id: "a.b", batch: "a", handler: "h", payload: {}, submitted_at: 1 }));
const t4 = performance.now();
if (bad.ok) throw new Error("a bad id decoded");
const ms = (a: number, b: number) => `${(b - a).toFixed(1)} ms`;
console.log(`import ${ms(t0, t1)}, first parseJobFile ${ms(t1, t2)}, first decodeJob ${ms(t2, t3)}, first bad job ${ms(t3, t4)}`);
