// The pure pieces of ops: credentials in URLs, secrets in logs, merging procs' metrics.
import { describe, expect, test } from "bun:test";
import { authEnv, authOptions, effectiveAuth, splitUrlCredentials } from "../../core/runtime/nats/connection.ts";
import { redactUrl, Secrets } from "../../core/runtime/util/log.ts";
import { mergeExpositions } from "../../core/runtime/http/metrics-merge.ts";
import { parseMetrics, sample } from "../helpers/prometheus.ts";
import { helpDefaults } from "../../cmd/settings.ts";

describe("credentials", () => {
  test("URLs lose their credentials, which become user/password or a token", () => {
    expect(splitUrlCredentials("nats://u:p%40ss@a:4222, nats://b:4222")).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], auth: { user: "u", password: "p@ss" } });
    expect(splitUrlCredentials("tls://s3cr3t@a:4222").auth).toEqual({ token: "s3cr3t" });
  });

  test("explicit options win over URL credentials; TLS options are kept either way", () => {
    expect(effectiveAuth("nats://u:p@a", { token: "t", tlsCa: "/ca" }).auth).toEqual({ token: "t", tlsCa: "/ca" });
    expect(effectiveAuth("nats://u:p@a", { user: undefined, tlsCa: "/ca" }).auth).toEqual({ user: "u", password: "p", tlsCa: "/ca" });
  });

  test("children get the same credentials as environment variables", () => {
    expect(authEnv({ user: "u", password: "p", tlsCa: "/ca" })).toEqual({ DOCCTL_NATS_USER: "u", DOCCTL_NATS_PASSWORD: "p", DOCCTL_TLS_CA: "/ca" });
  });

  test("two ways to authenticate at once, or half of one, is a usage error naming the flags", () => {
    expect(() => authOptions({ user: "u", password: "p", token: "t" })).toThrow("give one way to authenticate to NATS, not --nats-user/--nats-password and --nats-token");
    expect(() => authOptions({ password: "p" })).toThrow("--nats-password needs --nats-user");
    expect(() => authOptions({ nkeyFile: "/nope/seed.nk" })).toThrow("--nats-nkey /nope/seed.nk: no such file");
  });
});

describe("secrets in logs", () => {
  test("URL credentials and registered secrets are masked", () => {
    expect(redactUrl("connecting to nats://u:p@h:1, tls://tok@h:2")).toBe("connecting to nats://***@h:1, tls://***@h:2");
    const secrets = new Secrets();
    secrets.add("hunter2-secret");
    expect(secrets.mask("password hunter2-secret twice hunter2-secret")).toBe("password *** twice ***");
    // registered on one instance: another logger tree's secrets are its own
    expect(new Secrets().mask("hunter2-secret")).toBe("hunter2-secret");
  });
});

describe("mergeExpositions", () => {
  const proc = (n: number) => `# HELP docctl_jobs_done_total Done.
# TYPE docctl_jobs_done_total counter
docctl_jobs_done_total{handler="echo"} ${n}
# HELP docctl_job_duration_seconds D.
# TYPE docctl_job_duration_seconds histogram
docctl_job_duration_seconds_bucket{handler="echo",le="1"} ${n}
docctl_job_duration_seconds_bucket{handler="echo",le="+Inf"} ${n}
docctl_job_duration_seconds_sum{handler="echo"} 0.5
docctl_job_duration_seconds_count{handler="echo"} ${n}
# HELP docctl_queue_lag Lag.
# TYPE docctl_queue_lag gauge
docctl_queue_lag{handler="echo"} 9
`;
  test("each family once, every sample labelled with its proc, unwanted families left out; the result is valid exposition", () => {
    const text = mergeExpositions([{ proc: "proc-1", text: proc(2) }, { proc: "proc-2", text: proc(3) }], (f) => f !== "docctl_queue_lag");
    expect(text.match(/# TYPE docctl_jobs_done_total/g)).toHaveLength(1);
    expect(text).not.toContain("docctl_queue_lag");
    const m = parseMetrics(text);
    expect(sample(m, "docctl_jobs_done_total", { proc: "proc-2", handler: "echo" })!.value).toBe(3);
    expect(sample(m, "docctl_job_duration_seconds", { proc: "proc-1" })!.count).toBe(2);
    expect(mergeExpositions([])).toBe("");
  });
});

test("helpDefaults reads `(default X)` from a command's help", () => {
  expect(helpDefaults("Options:\n  --timeout DUR   limit (default 5m)\n  --out DIR   where\n  -c, --count N   how many (default max(1, 2))\n  --x   y (default: computed)")).toEqual({ timeout: "5m", count: "max(1, 2)" });
});
