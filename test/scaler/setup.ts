// Shared set-up for scaler tests: a tasks stream with one handler consumer, a capturing logger, waiting.
import { jetstream, jetstreamManager, AckPolicy, RetentionPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../core/runtime/util/log.ts";
import { captureLogger } from "../helpers/log.ts";
import { eventually } from "../helpers/eventually.ts";

/** Creates DOCCTL_TASKS (work queue) and the durable pull consumer `docctl-<handler>`, as the runtime does. */
export async function createTasksStream(nc: NatsConnection, handlers: string[] = ["render"]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "DOCCTL_TASKS", subjects: ["docctl.tasks.*", "docctl.tasks.*.high", "docctl.tasks.*.low"], retention: RetentionPolicy.Workqueue });
  for (const h of handlers) {
    await jsm.consumers.add("DOCCTL_TASKS", { durable_name: `docctl-${h}`, filter_subject: `docctl.tasks.${h}`, ack_policy: AckPolicy.Explicit });
  }
}

/** Publishes `n` jobs for `handler` (the manager only reads counts, so the bodies do not matter). */
export async function publishJobs(nc: NatsConnection, n: number, handler = "render"): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < n; i++) await js.publish(`docctl.tasks.${handler}`, JSON.stringify({ i }));
}

/** Removes every job: the lag falls to zero. */
export async function purgeJobs(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge("DOCCTL_TASKS");
}

/** A logger that keeps every line. */
export function captureLog(echo = !!process.env.DOCCTL_TEST_LOG): Logger & { lines: string[] } {
  return captureLogger({ echo });
}

/** `eventually` (test/helpers/eventually.ts) in the scaler tests' argument order, with the log's tail on a timeout. */
export function waitFor<T>(what: string, fn: () => T | Promise<T>, ms = 10_000, every = 50, log?: { lines: string[] }): Promise<NonNullable<T>> {
  return eventually(fn, { what, timeoutMs: ms, everyMs: every, context: log ? () => `log:\n${log.lines.slice(-30).join("\n")}` : undefined });
}

/** A clock the test moves: `now()` for the manager and its provider, `advance(ms)` between ticks, `set(t)`. */
export function fakeClock(start = Date.now()): { now: () => number; advance(ms: number): void; set(t: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (to) => void (t = to) };
}
