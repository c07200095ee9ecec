// The library's errors as an API: one DocctlError base with a `code`, a subclass per kind, names that
// survive bundling, messages for a library caller (no CLI flags), and `create` for handlers not known yet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AuthError,
  CancelledError,
  Client,
  ConfigError,
  DocctlError,
  InputError,
  JobError,
  JobFailedError,
  NatsUnreachableError,
  ServerVersionError,
  ResultTimeoutError,
  TimeoutError,
  UnreachableError,
  Worker,
  defineHandler,
} from "../../core/lib/index.ts";
import { freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
beforeAll(async () => {
  ns = await startNatsServer({ config: "authorization { users = [ { user: a, password: b } ] }" });
});
afterAll(async () => {
  await ns.cleanup();
});

const url = () => ns.url.replace("nats://", "nats://a:b@");

async function caught(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("errors", () => {
  test("each class is a DocctlError with its code and its own name", () => {
    const cases: [DocctlError, string, string][] = [
      [new UnreachableError("x"), "UNREACHABLE", "UnreachableError"],
      [new AuthError("x"), "AUTH", "AuthError"],
      [new InputError("x"), "INPUT", "InputError"],
      [new ConfigError("x"), "CONFIG", "ConfigError"],
      [new TimeoutError("x"), "TIMEOUT", "TimeoutError"],
      [new ResultTimeoutError("x", [], []), "RESULT_TIMEOUT", "ResultTimeoutError"],
      [new CancelledError("x"), "CANCELLED", "CancelledError"],
      [new NatsUnreachableError("x"), "NATS_UNREACHABLE", "NatsUnreachableError"],
      [new ServerVersionError("x", "2.10.0", "2.14.0"), "NATS_SERVER_TOO_OLD", "ServerVersionError"],
    ];
    for (const [e, code, name] of cases) {
      expect(e).toBeInstanceOf(DocctlError);
      expect(e).toBeInstanceOf(Error);
      expect({ code: e.code as string, name: e.name }).toEqual({ code, name });
    }
    // kept compatible: an AuthError is a ConfigError (the CLI exits 2 for both), a ResultTimeoutError a TimeoutError
    expect(new AuthError("x")).toBeInstanceOf(ConfigError);
    expect(new ResultTimeoutError("x", [], [])).toBeInstanceOf(TimeoutError);
  });

  test("bad ids, priorities and delays are InputErrors, not TypeErrors, before anything is sent", async () => {
    const client = new Client({ nats: url() });
    try {
      for (const p of [
        () => client.submit("echo", 1, { id: "a b" }),
        () => client.submit("echo", 1, { id: 42 as never }),
        () => client.submit("echo", 1, { priority: "urgent" as never }),
        () => client.submit("echo", 1, { delay: "soon" }),
        () => client.submit("bad.handler", 1),
        () => client.submitBatch("echo", [1], { batch: "a*" }),
        () => client.enqueue("echo", 1, { id: "" }),
      ]) {
        const err = await caught(p);
        expect(err).toBeInstanceOf(InputError);
        expect((err as DocctlError).code).toBe("INPUT");
      }
      expect(((await caught(() => client.submit("echo", 1, { priority: "urgent" as never }))) as Error).message).toContain("priority must be one of high, normal, low");
      expect(await caught(() => new Client({ nats: 42 as never }))).toBeInstanceOf(InputError);
      expect(await caught(() => defineHandler({} as never))).toBeInstanceOf(InputError);
    } finally {
      await client.close();
    }
    const closed = await caught(() => client.submit("echo", 1));
    expect(closed).toBeInstanceOf(DocctlError);
    expect((closed as DocctlError).code).toBe("CLOSED");
  });

  test("unreachable and refused credentials: codes, and messages that name the library's options, not CLI flags", async () => {
    const port = await freePort();
    const away = new Client({ nats: `nats://127.0.0.1:${port}` });
    const u = (await caught(away.submit("echo", 1))) as DocctlError;
    await away.close();
    // the Client's own kind (it carries the jobs that missed), still an UnreachableError
    expect(u).toBeInstanceOf(UnreachableError);
    expect(u).toBeInstanceOf(NatsUnreachableError);
    expect(u.code).toBe("NATS_UNREACHABLE");
    const w = (await caught(new Worker({ nats: `nats://127.0.0.1:${port}`, handlers: { echo: (p: unknown) => p }, logger: {} }).start())) as DocctlError;
    expect(w).toBeInstanceOf(UnreachableError);
    expect(w.code).toBe("UNREACHABLE");
    expect(w.message).not.toMatch(/--nats|DOCCTL_NATS_URL/);
    expect(u.message).toContain(`127.0.0.1:${port}`);
    expect(u.message).toContain("`nats` option");
    expect(u.message).not.toMatch(/--nats|DOCCTL_NATS_URL/);

    const wrong = new Client({ nats: ns.url, user: "a", password: "nope" });
    const a = (await caught(wrong.submit("echo", 1))) as DocctlError;
    await wrong.close();
    expect(a).toBeInstanceOf(AuthError);
    expect(a.code).toBe("AUTH");
    expect(a.message).toContain("user/password");
    expect(a.message).not.toMatch(/--nats|DOCCTL_/);
    // options that do not fit together: a ConfigError naming the library's options
    for (const [opts, says] of [
      [{ password: "p" }, "password needs user"],
      [{ user: "u", password: "p", token: "t" }, "not user/password and token"],
      [{ credsFile: "/nonexistent.creds" }, "credsFile /nonexistent.creds: no such file"],
      [{ tlsCert: "/x.pem" }, "tlsCert needs tlsKey"],
    ] as const) {
      const c = new Client({ nats: ns.url, ...opts });
      const e = (await caught(c.submit("echo", 1))) as DocctlError;
      await c.close();
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.code).toBe("CONFIG");
      expect(e.message).toContain(says);
      expect(e.message).not.toMatch(/--|DOCCTL_/);
    }
  });

  test("an unknown handler is an InputError naming `create: true`; with create the job queues and a later worker runs it", async () => {
    const client = new Client({ nats: url(), waitMs: 60_000 });
    try {
      const e = (await caught(client.submit("later", { x: 1 }))) as DocctlError;
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toContain('unknown handler "later"');
      expect(e.message).toContain("create: true");
      expect(e.message).not.toContain("--create");
      expect((await caught(client.enqueue("later", { x: 1 }))) as Error).toBeInstanceOf(InputError);

      const id = await client.enqueue("later", { x: 2 }, { create: true, id: "queued-before-worker" });
      expect(id).toBe("queued-before-worker");
      const waiting = client.submit("later", { x: 3 }, { create: true });
      const worker = new Worker({ nats: url(), handlers: { later: (p: { x: number }) => p.x * 10 }, logger: {} });
      await worker.start();
      try {
        expect(await waiting).toMatchObject({ ok: true, value: 30 });
        let r = await client.result("queued-before-worker");
        for (let i = 0; !r && i < 100; i++) {
          await Bun.sleep(100);
          r = await client.result("queued-before-worker");
        }
        expect(r).toMatchObject({ ok: true, value: 20 });
      } finally {
        await worker.close();
      }
    } finally {
      await client.close();
    }
  });

  test("run() returns the value, or throws JobFailedError with the failed result", async () => {
    const handlers = {
      twice: defineHandler<{ n: number }, number>({ handle: ({ n }) => n * 2 }),
      refuse: defineHandler<{ why: string }, never>({ maxAttempts: 1, handle: ({ why }) => { throw new JobError("REFUSED", why); } }),
    };
    const worker = new Worker({ nats: url(), handlers, logger: {} });
    await worker.start();
    const client = new Client<typeof handlers>({ nats: url() });
    try {
      const v: number = await client.run("twice", { n: 21 });
      expect(v).toBe(42);
      const e = (await caught(client.run("refuse", { why: "no thanks" }))) as JobFailedError;
      expect(e).toBeInstanceOf(JobFailedError);
      expect(e).toBeInstanceOf(DocctlError);
      expect(e.code).toBe("JOB_FAILED");
      expect(e.jobCode).toBe("REFUSED");
      expect(e.result).toMatchObject({ ok: false, handler: "refuse", error: { code: "REFUSED", message: "no thanks" } });
    } finally {
      await client.close();
      await worker.close();
    }
  });
});
