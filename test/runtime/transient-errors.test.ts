// Which NATS failures the submitter waits out (publishing again under the same Nats-Msg-Id) and which it reports.
import { expect, test } from "bun:test";
import { errors } from "@nats-io/transport-node";
import { isTransientNatsError } from "../../core/runtime/protocol/errors.ts";

test("a server that is away or electing a leader is transient; a closed connection or a refusal is not", () => {
  expect(isTransientNatsError(new errors.TimeoutError())).toBe(true);
  expect(isTransientNatsError(new errors.NoRespondersError("docctl.tasks.echo"))).toBe(true);
  expect(isTransientNatsError(new Error("JetStream system temporarily unavailable"))).toBe(true);
  expect(isTransientNatsError(new Error("request failed", { cause: new errors.TimeoutError() }))).toBe(true);
  expect(isTransientNatsError(new errors.ClosedConnectionError())).toBe(false);
  expect(isTransientNatsError(new Error("maximum payload exceeded"))).toBe(false);
  expect(isTransientNatsError(undefined)).toBe(false);
});
