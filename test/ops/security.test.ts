// NATS security: each way to authenticate against a nats-server that requires it, TLS with a CA and
// client certificates made here with openssl, clear errors for wrong credentials, no secrets in logs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createUser as createUserKey } from "@nats-io/nkeys";
import { docctl, spawnDocctl } from "../helpers/cli.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";
import { tempDir } from "../helpers/tmp.ts";

const PASSWORD = "pw-Zq8v1xK3mB";
const TOKEN = "tok-7HcE2rLp9W";
const JOB = JSON.stringify({ handler: "echo", payload: { hi: 1 } });

const tmp = tempDir("docctl-sec-");
const servers: NatsServerHandle[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.cleanup()));
  tmp.cleanup();
});

async function server(config: string): Promise<NatsServerHandle> {
  const s = await startNatsServer({ config });
  servers.push(s);
  return s;
}

/** A worker and a submit with the same connection flags: the job must come back done. */
async function roundTrip(url: string, flags: string[], env: Record<string, string> = {}, workerFlags: string[] = []) {
  const w = spawnDocctl(["worker", "--nats", url, ...flags, ...workerFlags, "-v"], { env });
  try {
    await w.waitFor(/pulling/);
    const r = await docctl(["submit", "-", "--nats", url, ...flags, "--json", "--timeout", "20s"], { stdin: JOB, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).value).toEqual({ hi: 1 });
  } finally {
    await w.stop();
  }
  return w.output();
}

describe("user and password", () => {
  let s: NatsServerHandle;
  beforeAll(async () => (s = await server(`authorization { user: docctl, password: "${PASSWORD}" }`)));

  test("flags, or the environment, let a worker and submit through", async () => {
    await roundTrip(s.url, ["--nats-user", "docctl", "--nats-password", PASSWORD]);
    await roundTrip(s.url, [], { DOCCTL_NATS_USER: "docctl", DOCCTL_NATS_PASSWORD: PASSWORD });
  });

  test("a wrong password is a clear authorization error, exit 2, without the password", async () => {
    const r = await docctl(["dead", "ls", "--nats", s.url, "--nats-user", "docctl", "--nats-password", "wrong-pass-123"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("authorization failed");
    expect(r.stderr).toContain("--nats-user/--nats-password");
    expect(r.stderr).not.toContain("wrong-pass-123");
  });

  test("no credentials at all is the same clear error, also for a worker", async () => {
    const r = await docctl(["worker", "--nats", s.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("authorization failed");
  });

  test("a worker's -vvvvv output never shows the password, given by flag or in the URL", async () => {
    const flagged = await roundTrip(s.url, ["--nats-user", "docctl", "--nats-password", PASSWORD], {}, ["-vvvvv", "--log-format", "json"]);
    const inUrl = await roundTrip(s.url.replace("//", `//docctl:${PASSWORD}@`), [], {}, ["-vvvvv"]);
    for (const out of [flagged, inUrl]) {
      expect(out).toContain("connected to");
      expect(out).not.toContain(PASSWORD);
    }
    // a supervisor hands its procs the URL without the credentials (those go through a pipe)
    expect(inUrl).toMatch(/connected to nats:\/\/(\*\*\*@)?127\.0\.0\.1/);
  });
});

describe("a supervisor's procs", () => {
  test("get the credentials through a pipe: no proc's command line shows the password", async () => {
    const s = await server(`authorization { user: docctl, password: "${PASSWORD}" }`);
    const w = spawnDocctl(["worker", "--procs", "2", "--nats", s.url.replace("//", `//docctl:${PASSWORD}@`), "-vv"]);
    try {
      await w.waitFor(/proc-1 \(pid \d+\) ready/);
      await w.waitFor(/proc-2 \(pid \d+\) ready/);
      const pids = [...w.output().matchAll(/\(pid (\d+)\) ready/g)].map((m) => m[1]!);
      expect(pids).toHaveLength(2);
      for (const pid of pids) {
        const argv = (await Bun.file(`/proc/${pid}/cmdline`).text()).split("\0");
        expect(argv).toContain("--child");
        expect(argv.join(" ")).not.toContain(PASSWORD);
      }
      // status and control commands authenticate like the others
      const status = await docctl(["status", "--nats", s.url], { env: { DOCCTL_NATS_USER: "docctl", DOCCTL_NATS_PASSWORD: PASSWORD } });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain("proc-2");
      const refused = await docctl(["status", "--nats", s.url]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("authorization failed");
    } finally {
      await w.stop();
    }
  });
});

describe("credentials never in a proc's environment", () => {
  test("procs get them through a pipe: nothing credential-like in /proc/PID/environ of a proc or of a process a handler starts", async () => {
    const s = await server(`authorization { user: docctl, password: "${PASSWORD}" }`);
    const plugins = tempDir("docctl-sec-plugins-");
    // a plugin that starts a child process and returns what that child sees in its environment
    writeFileSync(
      join(plugins.path, "envdump.ts"),
      [
        "const NUL = String.fromCharCode(0);",
        "export default async function () {",
        '  const p = Bun.spawn(["cat", "/proc/self/environ"], { stdout: "pipe" });',
        "  const child = (await new Response(p.stdout).text()).split(NUL).join(String.fromCharCode(10));",
        '  const own = require("node:fs").readFileSync("/proc/self/environ", "utf8").split(NUL);',
        "  return { child, own, pid: process.pid };",
        "}",
      ].join("\n"),
    );
    const env = { DOCCTL_NATS_USER: "docctl", DOCCTL_NATS_PASSWORD: PASSWORD, DOCCTL_HTTP_TOKEN: "http-tok-Pq9" };
    const w = spawnDocctl(["worker", "--procs", "2", "--nats", s.url, "--plugins", plugins.path, "-vv"], { env });
    try {
      await w.waitFor(/proc-1 \(pid \d+\) ready/, 60_000);
      await w.waitFor(/proc-2 \(pid \d+\) ready/, 60_000);
      const pids = [...w.output().matchAll(/\(pid (\d+)\) ready/g)].map((m) => m[1]!);
      for (const pid of pids) {
        const environ = await Bun.file(`/proc/${pid}/environ`).text();
        expect(environ).not.toContain(PASSWORD);
        expect(environ).not.toContain("DOCCTL_NATS_PASSWORD");
        expect(environ).not.toContain("DOCCTL_NATS_USER");
        expect(environ).not.toContain("http-tok-Pq9");
      }
      // the procs did authenticate: a job runs, and the process its handler started saw no credentials
      const r = await docctl(["submit", "-", "--nats", s.url, "--json", "--timeout", "30s"], { stdin: JSON.stringify({ handler: "envdump", payload: {} }), env });
      expect(r.stdout + r.stderr).toContain('"ok":true');
      const v = JSON.parse(r.stdout).value as { child: string; own: string[]; pid: number };
      expect(pids).toContain(String(v.pid));
      expect(v.child).toContain("PATH=");
      for (const seen of [v.child, v.own.join("\n")]) {
        expect(seen).not.toContain(PASSWORD);
        expect(seen).not.toContain("DOCCTL_NATS_");
        expect(seen).not.toContain("http-tok-Pq9");
      }
    } finally {
      await w.stop();
      plugins.cleanup();
    }
  });
});

describe("docctl up against a server that requires a password", () => {
  test("the workers it starts authenticate too (credentials through their environment, not argv)", async () => {
    const s = await server(`authorization { user: docctl, password: "${PASSWORD}" }`);
    const dir = tempDir("docctl-sec-up-");
    const up = spawnDocctl(["up", "--nats", s.url, "--nats-user", "docctl", "--nats-password", PASSWORD, "--min", "1", "--dir", dir.path, "-vv"]);
    try {
      await up.waitFor(/ready/);
      const r = await docctl(["submit", "-", "--nats", s.url, "--json", "--timeout", "30s"], { stdin: JOB, env: { DOCCTL_NATS_USER: "docctl", DOCCTL_NATS_PASSWORD: PASSWORD } });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).value).toEqual({ hi: 1 });
    } finally {
      await up.stop();
      dir.cleanup();
    }
    expect(up.output()).not.toContain(PASSWORD);
  });
});

describe("token", () => {
  let s: NatsServerHandle;
  beforeAll(async () => (s = await server(`authorization { token: "${TOKEN}" }`)));

  test("--nats-token and DOCCTL_NATS_TOKEN work; the token stays out of -vvvvv logs", async () => {
    const out = await roundTrip(s.url, ["--nats-token", TOKEN], {}, ["-vvvvv"]);
    expect(out).not.toContain(TOKEN);
    await roundTrip(s.url, [], { DOCCTL_NATS_TOKEN: TOKEN });
  });

  test("a wrong token is refused with a clear message", async () => {
    const r = await docctl(["dead", "ls", "--nats", s.url, "--nats-token", "nope-nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("authorization failed");
    expect(r.stderr).toContain("--nats-token");
  });
});

describe("NKey", () => {
  test("--nats-nkey with a user seed file", async () => {
    const kp = createUserKey();
    const seedFile = join(tmp.path, "user.nk");
    writeFileSync(seedFile, new TextDecoder().decode(kp.getSeed()) + "\n");
    const s = await server(`authorization { users: [ { nkey: ${kp.getPublicKey()} } ] }`);
    await roundTrip(s.url, ["--nats-nkey", seedFile]);
    const other = join(tmp.path, "other.nk");
    writeFileSync(other, new TextDecoder().decode(createUserKey().getSeed()));
    const r = await docctl(["dead", "ls", "--nats", s.url, "--nats-nkey", other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("authorization failed");
  });

  test("a seed file that is not one is named", async () => {
    const f = join(tmp.path, "junk.nk");
    writeFileSync(f, "hello");
    const r = await docctl(["dead", "ls", "--nats", "nats://127.0.0.1:1", "--nats-nkey", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--nats-nkey ${f}: expected an NKey user seed`);
  });
});

describe(".creds (operator mode with JWTs)", () => {
  test("--nats-creds with a user JWT signed by an account the server trusts", async () => {
    const okp = createOperator();
    const akp = createAccount();
    const ukp = createUser();
    const operator = await encodeOperator("docctl-test", okp);
    const account = await encodeAccount("jobs", akp, {
      // limits left out are 0: allow everything, JetStream included
      limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
    }, { signer: okp });
    const skp = createAccount();
    const system = await encodeAccount("SYS", skp, {}, { signer: okp });
    const user = await encodeUser("worker", ukp, akp);
    const creds = join(tmp.path, "worker.creds");
    writeFileSync(creds, fmtCreds(user, ukp));
    const s = await server(`operator: ${operator}\nresolver: MEMORY\nsystem_account: ${skp.getPublicKey()}\nresolver_preload: { ${akp.getPublicKey()}: ${account}, ${skp.getPublicKey()}: ${system} }`);
    await roundTrip(s.url, ["--nats-creds", creds]);
    const r = await docctl(["dead", "ls", "--nats", s.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("authorization failed");
  });
});

describe("TLS", () => {
  let s: NatsServerHandle;
  const pki = (f: string) => join(tmp.path, f);
  beforeAll(async () => {
    const sh = (cmd: string) => {
      const p = Bun.spawnSync(["bash", "-c", cmd], { cwd: tmp.path, stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`${cmd}: ${p.stderr.toString()}`);
    };
    sh(`openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=docctl test CA"`);
    writeFileSync(pki("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    sh(`openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"`);
    sh(`openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext`);
    sh(`openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=docctl-worker"`);
    sh(`openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2`);
    s = await server(`tls { cert_file: "${pki("server.pem")}", key_file: "${pki("server.key")}", ca_file: "${pki("ca.pem")}", verify: true }`);
  });

  test("--tls-ca, --tls-cert and --tls-key: mutual TLS for worker and submit", async () => {
    await roundTrip(s.url, ["--tls-ca", pki("ca.pem"), "--tls-cert", pki("client.pem"), "--tls-key", pki("client.key")]);
  });

  test("without the CA the error says to check --tls-ca", async () => {
    const r = await docctl(["dead", "ls", "--nats", s.url, "--tls-cert", pki("client.pem"), "--tls-key", pki("client.key")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--tls-ca");
  });

  test("a certificate without its key is a usage error", async () => {
    const r = await docctl(["dead", "ls", "--nats", s.url, "--tls-cert", pki("client.pem")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tls-cert needs --tls-key");
  });
});
