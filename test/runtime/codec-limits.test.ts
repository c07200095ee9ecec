// The wire's limits as pure functions: what decodes equals what encodes (depth), time limits a timer
// can wait, "__proto__" keys, dead letters that always fit, job hashes, error messages cut to size.
import { describe, expect, test } from "bun:test";
import { Encoder } from "@msgpack/msgpack";
import {
  MAX_DEPTH,
  MAX_TIMEOUT_MS,
  decodeDead,
  decodeJob,
  encodeDeadFitting,
  encodeJob,
  jobHash,
  payloadProblem,
  type JobV1,
} from "../../core/runtime/protocol/codec.ts";
import { MAX_ERROR_MESSAGE, clipMessage, toWireError } from "../../core/runtime/protocol/errors.ts";

const job = (payload: unknown, extra: Partial<JobV1> = {}): JobV1 => ({ v: 1, id: "j1", batch: "j1", handler: "echo", payload, submitted_at: 1, ...extra });
const nest = (n: number) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const anyDepth = new Encoder({ maxDepth: 10_000 });

describe("depth", () => {
  test("a job the job encoder accepts decodes; one nested deeper is refused at decode, as the encoder refuses it", () => {
    const ok = encodeJob(job(nest(MAX_DEPTH - 2)));
    expect(decodeJob(ok).ok).toBe(true);
    expect(() => encodeJob(job(nest(MAX_DEPTH + 5)))).toThrow();
    const deep = decodeJob(anyDepth.encode(job(nest(150))));
    expect(deep).toEqual({ ok: false, problem: `the job nests deeper than ${MAX_DEPTH} levels (the wire's limit)` });
  });
  test("payloadProblem names the place", () => {
    expect(payloadProblem({ a: nest(120) })).toContain("nested deeper than 100 levels");
    expect(payloadProblem(JSON.parse('{"user": {"__proto__": {"admin": true}}}'))).toContain('payload.user: a key named "__proto__" is not allowed');
    expect(payloadProblem({ fine: [1, 2, { x: "y" }] })).toBeUndefined();
  });
});

describe("time limits", () => {
  test("timeout_ms over 2^31-1 is refused at decode (a timer would fire at once)", () => {
    const r = decodeJob(anyDepth.encode(job(null, { timeout_ms: MAX_TIMEOUT_MS + 1 })));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain("24.8 days");
    expect(decodeJob(encodeJob(job(null, { timeout_ms: MAX_TIMEOUT_MS }))).ok).toBe(true);
  });
});

describe("__proto__", () => {
  test("a job with a __proto__ key is reported as such, not as 'not msgpack'", () => {
    const bytes = anyDepth.encode(JSON.parse('{"v":1,"id":"j","batch":"j","handler":"echo","submitted_at":1,"payload":{"__proto__":{"x":1}}}'));
    const r = decodeJob(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain('"__proto__" is not allowed');
  });
});

describe("dead letters always fit", () => {
  const error = { code: "BAD_MESSAGE", message: "x", retryable: false };
  test("raw bytes are cut, their size noted", () => {
    const raw = new Uint8Array(1_000_000).fill(0xc1);
    // a server with max_payload 512 KiB: 1 MB could never have been published there, but a 1 MiB
    // message near its own limit is the same case (the dead letter adds its fields to the bytes)
    const bytes = encodeDeadFitting({ v: 1, job: null, raw, subject: "docctl.tasks.echo", error, attempts: 1, worker: "w", failed_at: 1 }, 512 * 1024);
    expect(bytes.byteLength).toBeLessThanOrEqual(512 * 1024 - 1024);
    const d = decodeDead(bytes);
    expect(d.raw_size).toBe(1_000_000);
    expect(d.raw!.byteLength).toBeLessThanOrEqual(64 * 1024);
  });
  test("a payload too big is left out, its size noted; small ones are kept whole", () => {
    const big = job({ pad: "p".repeat(900_000) });
    const d = decodeDead(encodeDeadFitting({ v: 1, job: big, subject: "s", error, attempts: 1, worker: "w", failed_at: 1 }, 512 * 1024));
    expect(d.job!.payload).toBeNull();
    expect(d.payload_size).toBeGreaterThan(900_000);
    const small = decodeDead(encodeDeadFitting({ v: 1, job: job({ a: 1 }), subject: "s", error, attempts: 1, worker: "w", failed_at: 1 }, 1024 * 1024));
    expect(small.job!.payload).toEqual({ a: 1 });
    expect(small.payload_size).toBeUndefined();
  });
});

describe("job hash", () => {
  test("the same job hashes the same; another payload, handler or attempts does not", () => {
    const h = jobHash({ handler: "echo", payload: { n: 1 } });
    expect(jobHash({ handler: "echo", payload: { n: 1 } })).toBe(h);
    expect(jobHash({ handler: "echo", payload: { n: 2 } })).not.toBe(h);
    expect(jobHash({ handler: "pdf", payload: { n: 1 } })).not.toBe(h);
    expect(jobHash({ handler: "echo", payload: { n: 1 }, attempts: 5 })).not.toBe(h);
    expect(h).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("error messages", () => {
  test("are cut to MAX_ERROR_MESSAGE characters, saying how much more there was", () => {
    const w = toWireError(new Error("e".repeat(2_000_000)));
    expect(w.message.length).toBeLessThan(MAX_ERROR_MESSAGE + 60);
    expect(w.message).toEndWith(`(${2_000_000 - MAX_ERROR_MESSAGE} more characters)`);
    expect(clipMessage("short")).toBe("short");
  });
});
