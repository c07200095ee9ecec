// The library still accepts a user's logger: a pino-shaped object and console both receive the
// worker's lines and a handler's ctx.log lines (one string per call, job id and handler in front),
// with URL credentials masked; a level the object lacks is left out.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { toRuntimeLogger } from "../../core/lib/logger.ts";
import { Secrets } from "../../core/runtime/util/secrets.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
beforeAll(async () => (ns = await startNatsServer()));
afterAll(async () => await ns.cleanup());

/** The shape of a pino logger: level methods taking (obj?, msg?), child(bindings), level. */
function pinoShaped() {
  const calls: { level: string; args: unknown[] }[] = [];
  const at = (level: string) => (...args: unknown[]) => void calls.push({ level, args });
  const logger = { level: "debug", calls, fatal: at("fatal"), error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug"), trace: at("trace"), child: () => logger, bindings: () => ({}) };
  return logger;
}

test("a pino-shaped logger gets the worker's lines and ctx.log lines, each one string with the job in front", async () => {
  const pino = pinoShaped();
  const shout = defineHandler<{ word: string }, string>({
    handle: ({ word }, ctx) => {
      ctx.log.info(`shouting ${word} to nats://user:pa55word@example:4222`);
      ctx.log.debug("a debug line");
      return word.toUpperCase();
    },
  });
  const worker = new Worker({ nats: ns.url, handlers: { shout }, logger: pino });
  await worker.start();
  const client = new Client({ nats: ns.url });
  try {
    expect((await client.submit("shout", { word: "hey" }, { id: "pino-job" })).value).toBe("HEY");
  } finally {
    await client.close();
    await worker.close();
  }
  const infos = pino.calls.filter((c) => c.level === "info");
  expect(infos.every((c) => c.args.length === 1 && typeof c.args[0] === "string")).toBe(true);
  const handlerLine = infos.find((c) => String(c.args[0]).includes("shouting hey"));
  expect(handlerLine?.args[0]).toBe("[pino-job:shout] shouting hey to nats://***@example:4222");
  expect(pino.calls.some((c) => c.level === "debug" && String(c.args[0]).endsWith("a debug line"))).toBe(true);
  // the worker's own job lines go there too
  expect(infos.some((c) => /\[pino-job:shout\] done in/.test(String(c.args[0])))).toBe(true);
  expect(JSON.stringify(pino.calls)).not.toContain("pa55word");
});

test("console receives the worker's and the handler's lines in a library user's process", async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/lib-console-logger.ts"), ns.url], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(await proc.exited).toBe(0);
  expect(out).toContain('result "hello ada"');
  expect(out).toContain("[console-job:greet] greeting ada"); // console.info: stdout
  expect(err).toContain("[console-job:greet] a warning from the handler"); // console.warn: stderr
}, 60_000);

test("a level the user's logger lacks is not written; secrets on the instance are masked", () => {
  const got: string[] = [];
  const secrets = new Secrets();
  secrets.add("tok-123456");
  const log = toRuntimeLogger({ warn: (s: unknown) => void got.push(String(s)) }, secrets);
  expect(log.verbosity).toBe(0);
  log.info("not shown");
  log.child("ctl").warn("token tok-123456 refused");
  expect(got).toEqual(["[ctl] token *** refused"]);
});
