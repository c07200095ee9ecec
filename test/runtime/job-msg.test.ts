// The delivery info docctl reads from a JetStream ack subject (ADR-15), in both forms servers send.
import { expect, test } from "bun:test";
import { parseAckSubject } from "../../core/runtime/nats/job-msg.ts";

test("the 9-token form and the newer form with domain and account hash give the same delivery info", () => {
  const want = { stream: "DOCCTL_TASKS", consumer: "docctl-pdf", deliveryCount: 3, streamSequence: 812, consumerSequence: 40, pending: 7, timestampMs: 1764540000000 };
  expect(parseAckSubject("$JS.ACK.DOCCTL_TASKS.docctl-pdf.3.812.40.1764540000000000000.7")).toEqual(want);
  expect(parseAckSubject("$JS.ACK._.ACCHASH.DOCCTL_TASKS.docctl-pdf.3.812.40.1764540000000000000.7.rand0m")).toEqual(want);
});

test("anything else is not a delivery", () => {
  expect(parseAckSubject(undefined)).toBeUndefined();
  expect(parseAckSubject("_INBOX.abc")).toBeUndefined();
  expect(parseAckSubject("$JS.API.CONSUMER.MSG.NEXT.S.C")).toBeUndefined();
});
