// `docctl up` as the README has a user meet it: a job, a pause, another job, a pause, another. The worker the manager
// started stays for --idle, it is not drained right after the second job (each busy tick of the
// manager used to count as an idle gap, so two or three jobs reached MIN_GAPS and the only worker went at once).
// Before the first job, `docctl status` says the manager starts workers (it used to say "start docctl worker").
import { expect, test } from "bun:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { freePort } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";
import { docctl, eventually, spawnDocctl } from "../helpers/cli.ts";

/** the manager's tick lines (at -vvvv every tick logs its decision) */
const ticks = (out: string) => out.split("\n").filter((l) => l.includes("[manager] lag ")).length;

test("docctl up keeps its worker for --idle after three jobs some seconds apart", async () => {
  const dir = tempDir("docctl-up-idle-");
  const url = `nats://127.0.0.1:${await freePort()}`;
  const job = (id: string) => {
    const f = join(dir.path, `${id}.json`);
    writeFileSync(f, JSON.stringify({ handler: "echo", id, payload: { id } }));
    return f;
  };
  const up = spawnDocctl(["up", "--nats", url, "--dir", join(dir.path, ".docctl"), "--idle", "1m", "-vvvv"], { cwd: dir.path });
  try {
    await up.waitFor(/ready: handlers echo/, 60_000);
    // before any job: no worker yet, and status says the manager starts them (not "start docctl worker")
    await eventually(async () => (await docctl(["status", "--nats", url])).stdout.includes("No live workers: the manager (provider local) starts them when jobs wait."), 30_000, "docctl status under docctl up");
    // three jobs with idle ticks between them: real gaps of several seconds
    for (const id of ["first", "second", "third"]) {
      const t = ticks(up.output());
      if (id !== "first") await eventually(() => ticks(up.output()) >= t + 10, 60_000, `10 manager ticks before the ${id} job`);
      const r = await docctl(["submit", job(id), "--nats", url, "--timeout", "60s"]);
      expect(r.code).toBe(0);
    }
    const mark = up.output().length;
    const t3 = ticks(up.output());
    await eventually(() => ticks(up.output()) >= t3 + 6, 60_000, "6 manager ticks after the last job");
    const after = up.output().slice(mark);
    // the old policy: "no work for 0s (idle gaps of 2s expected, boot 1s); removing 1 of 1"
    expect(after).not.toMatch(/removing 1 of 1|draining local-vm/);
    expect(after).toMatch(/servers 1 ready/);
    expect(up.output().match(/created 1 server/g)?.length).toBe(1); // one worker served all three
    expect(await up.stop("SIGINT")).toBe(0);
  } finally {
    await up.stop("SIGKILL");
    dir.cleanup();
  }
}, 180_000);
