// Which NATS failures are waited out (publishing again under the same Nats-Msg-Id) and which are reported,
// classified by the client's error classes and JetStream API codes, as nats.js raises them.
import { expect, test } from "bun:test";
import { errors } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { isAlreadyExists, isNoAnswer, isNotFound, isTransientNatsError } from "../../core/runtime/nats/errors.ts";

const apiError = (status: number, err_code: number, description: string) => new JetStreamApiError({ code: status, err_code, description });

test("a server that is away or electing a leader is transient; a closed connection or a refusal is not", () => {
  expect(isTransientNatsError(new errors.TimeoutError())).toBe(true);
  expect(isTransientNatsError(new errors.NoRespondersError("docctl.tasks.echo"))).toBe(true);
  expect(isTransientNatsError(new errors.RequestError("no responders", { cause: new errors.NoRespondersError("$JS.API.INFO") }))).toBe(true);
  expect(isTransientNatsError(apiError(503, 10008, "JetStream system temporarily unavailable"))).toBe(true);
  // a cluster whose nodes are still joining cannot place an R3 stream yet
  expect(isTransientNatsError(apiError(400, 10005, "no suitable peers for placement"))).toBe(true);
  expect(isTransientNatsError(new Error("request failed", { cause: new errors.TimeoutError() }))).toBe(true);
  expect(isTransientNatsError(new errors.ClosedConnectionError())).toBe(false);
  expect(isTransientNatsError(new errors.PermissionViolationError("permissions violation", "publish", "docctl.tasks.x"))).toBe(false);
  expect(isTransientNatsError(apiError(400, 10058, "stream name already in use with a different configuration"))).toBe(false);
  // a message alone decides nothing: only the classes and codes do
  expect(isTransientNatsError(new Error("timeout (but not a TimeoutError)"))).toBe(false);
  expect(isTransientNatsError(undefined)).toBe(false);
});

test("not found, already exists and no answer come from JetStream codes and client classes", () => {
  expect(isNotFound(apiError(404, 10059, "stream not found"))).toBe(true);
  expect(isNotFound(apiError(404, 10014, "consumer not found"))).toBe(true);
  expect(isNotFound(new Error("stream not found"))).toBe(false);
  expect(isAlreadyExists(apiError(400, 10058, "stream name already in use with a different configuration"))).toBe(true);
  expect(isAlreadyExists(apiError(400, 10148, "consumer already exists"))).toBe(true);
  expect(isAlreadyExists(apiError(404, 10059, "stream not found"))).toBe(false);
  expect(isNoAnswer(new errors.RequestError("x", { cause: new errors.NoRespondersError("docctl.control.w.status") }))).toBe(true);
  expect(isNoAnswer(new errors.TimeoutError())).toBe(true);
  expect(isNoAnswer(new errors.ClosedConnectionError())).toBe(false);
});
