// CPU time of processes the benchmarks start, read from /proc: on a shared machine CPU per document
// moves far less with other people's load than docs/s does.
import { readFileSync, readdirSync } from "node:fs";

/** utime + stime in ms of a process and all its live descendants (/proc; 100 ticks a second). */
export function treeCpuMs(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ");
      stats.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended while we looked: not one whose time we are after
    }
  }
  let sum = 0;
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    sum += stats.get(pid)?.ticks ?? 0;
    for (const [p, s] of stats) if (s.ppid === pid) todo.push(p);
  }
  return sum * 10;
}

/** CPU ms of an exited child process (getrusage through Bun). */
export function exitedCpuMs(p: { resourceUsage(): { cpuTime: { user: number | bigint; system: number | bigint } } | undefined }): number {
  const ru = p.resourceUsage();
  return ru ? (Number(ru.cpuTime.user) + Number(ru.cpuTime.system)) / 1000 : 0;
}
