// docctl handlers' overview from its parts (pure): entries, presence and consumers, every priority counted.
import { expect, test } from "bun:test";
import type { ConsumerInfo } from "@nats-io/jetstream";
import { overviewOf, servedBy } from "../../core/runtime/client/handlers.ts";
import type { PresenceV1 } from "../../core/runtime/protocol/control.ts";
import type { HandlerInfoV1 } from "../../core/runtime/protocol/handlers.ts";

const T = Date.parse("2026-11-30T10:00:00Z");
const consumer = (name: string, pending: number, ack: number, lastActive?: string) =>
  ({ name, created: "2026-11-30T09:00:00Z", num_pending: pending, num_ack_pending: ack, delivered: { consumer_seq: 0, stream_seq: 0, last_active: lastActive }, ack_floor: { consumer_seq: 0, stream_seq: 0 } }) as unknown as ConsumerInfo;
const worker = (id: string, o: Partial<PresenceV1>): PresenceV1 => ({
  v: 1, id, host: "h", pid: 1, version: "0", started_at: T, updated_at: T, state: "running", in_flight: 0, procs: [], labels: {}, ...o,
});

test("lag adds up over a handler's priority consumers; workers from presence handlers and dedicated procs", () => {
  const infos: HandlerInfoV1[] = [
    { v: 1, name: "pdf", description: "renders", source: "worker", registered_by: "w1", updated_at: T },
    { v: 1, name: "report", source: "manager", registered_by: "manager@h", updated_at: T },
  ];
  const workers = [
    worker("w2", { handlers: ["echo", "pdf"] }),
    worker("w1", { procs: [{ name: "pdf-1", handler: "pdf", pid: 2, state: "RUNNING", loop: "running", restarts: 0, jobs_done: 0, jobs_failed: 0, in_flight: [], started_at: T, last_exit: null }] }),
  ];
  const consumers = [consumer("docctl-pdf", 2, 1, "2026-11-30T09:30:00Z"), consumer("docctl_high-pdf", 3, 0, "2026-11-30T09:45:00Z"), consumer("docctl-echo", 0, 0), consumer("other", 9, 9)];
  const o = overviewOf(infos, workers, consumers);
  expect(o.map((h) => h.name)).toEqual(["echo", "pdf", "report"]);
  const pdf = o.find((h) => h.name === "pdf")!;
  expect(pdf).toMatchObject({ description: "renders", source: "worker", pending: 5, in_flight: 1, lag: 6, consumer: true, workers: ["w1", "w2"] });
  expect(pdf.last_active).toBe(Date.parse("2026-11-30T09:45:00Z"));
  expect(o.find((h) => h.name === "echo")).toMatchObject({ source: "consumer", workers: ["w2"], lag: 0, last_active: Date.parse("2026-11-30T09:00:00Z") });
  expect(o.find((h) => h.name === "report")).toMatchObject({ source: "manager", consumer: false, workers: [], last_active: null });
  expect(servedBy(workers[1]!)).toEqual(["pdf"]);
});
