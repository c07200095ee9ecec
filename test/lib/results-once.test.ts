// What a handler can end with, through an embedded Worker and a Client on a real nats-server: a huge
// or malformed error code, values the wire cannot carry as they are (Map, Set, class instances).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, Worker, defineHandler } from "../../core/lib/index.ts";
import { valueTypeProblem } from "../../core/runtime/protocol/codec.ts";
import { toWireError } from "../../core/runtime/protocol/errors.ts";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats.ts";

let ns: NatsServerHandle;
let worker: Worker;
let client: Client;
const runs = new Map<string, number>();
class Money {
  constructor(public cents: number) {}
}
const odd = defineHandler<{ kind: string }, unknown>({
  maxAttempts: 3,
  handle: ({ kind }, ctx) => {
    runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
    if (kind === "huge-code") throw Object.assign(new Error("refused"), { code: "X".repeat(2e6), retryable: false });
    if (kind === "lower-code") throw Object.assign(new Error("nope"), { code: "not_a_code", retryable: false });
    if (kind === "map") return { totals: new Map([["a", 1]]) };
    if (kind === "set") return [new Set([1, 2])];
    if (kind === "class") return { price: new Money(5) };
    return { fine: [1, "two", null, true, new Uint8Array([3])] };
  },
});

beforeAll(async () => {
  ns = await startNatsServer();
  worker = new Worker({ nats: ns.url, handlers: { odd }, logger: {} });
  await worker.start();
  client = new Client({ nats: ns.url, waitMs: 60_000 });
});
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await ns.cleanup();
});

describe("error codes and result values", () => {
  test("a 2e6-character error code ends as one failed HANDLER_ERROR result after one run, the code cut in the message", async () => {
    const r = await client.submit("odd", { kind: "huge-code" }, { id: "huge-code" });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("HANDLER_ERROR");
    expect(r.error?.retryable).toBe(false);
    expect(r.error?.message).toContain("refused");
    expect(r.error?.message).toContain("XXXXXXXXXX");
    expect(r.error?.message).toContain("2000000 characters");
    expect(r.error!.message.length).toBeLessThan(5000);
    expect(r.attempts).toBe(1);
    expect(runs.get("huge-code")).toBe(1);
  }, 90_000);

  test("a malformed code becomes HANDLER_ERROR naming it", async () => {
    const r = await client.submit("odd", { kind: "lower-code" });
    expect(r.error?.code).toBe("HANDLER_ERROR");
    expect(r.error?.message).toContain('"not_a_code"');
  }, 60_000);

  test("a Map, a Set or a class instance in a result is RESULT_UNENCODABLE, said where; plain data passes", async () => {
    for (const [kind, where] of [["map", "value.totals is a Map"], ["set", "value[0] is a Set"], ["class", "value.price is an instance of Money"]] as const) {
      const r = await client.submit("odd", { kind }, { id: `value-${kind}` });
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe("RESULT_UNENCODABLE");
      expect(r.error?.message).toContain(where);
      expect(runs.get(`value-${kind}`)).toBe(1);
    }
    const fine = await client.submit<{ fine: unknown[] }>("odd", { kind: "plain" });
    expect(fine.ok).toBe(true);
    expect(fine.value?.fine.slice(0, 4)).toEqual([1, "two", null, true]);
  }, 60_000);
});

describe("pure checks", () => {
  test("valueTypeProblem passes plain data with shared and circular references without walking forever", () => {
    const shared = { a: 1 };
    expect(valueTypeProblem({ x: shared, y: shared, d: new Date(0), b: new Uint8Array(2), n: null })).toBeUndefined();
    const wide: Record<string, unknown> = {};
    wide.l = wide;
    wide.r = wide;
    expect(valueTypeProblem(wide)).toBeUndefined();
    expect(valueTypeProblem({ f: () => 1 })).toBe("value.f is a function");
    expect(valueTypeProblem(JSON.parse('{"__proto__": 1}'))).toContain("__proto__");
  });
  test('the ids "__proto__", "constructor" and "prototype" are refused by the Client', async () => {
    for (const id of ["__proto__", "constructor", "prototype"]) {
      await expect(client.submit("odd", { kind: "plain" }, { id })).rejects.toThrow(`must not be "${id}"`);
    }
  });
  test("toWireError keeps valid codes and caps bad ones", () => {
    expect(toWireError(Object.assign(new Error("m"), { code: "OK_CODE" }))).toEqual({ code: "OK_CODE", message: "m", retryable: false });
    const w = toWireError(Object.assign(new Error("m"), { code: "Y".repeat(65), retryable: true }));
    expect(w.code).toBe("HANDLER_ERROR");
    expect(w.retryable).toBe(true);
    expect(w.message).toContain("longer than 64 characters");
  });
});
