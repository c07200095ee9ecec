// ctx.log for a job: each line goes to the worker's log as before and is kept with the job (DOCCTL_LOGS),
// so `docctl job ID --logs` and Client.logs(id) show it. Best effort: a line that cannot be stored is
// in the worker's log still, and never fails the job.
import { inspect } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { JetStreamPublisher } from "../nats/publisher.ts";
import { teeLogger, type Logger } from "../util/log.ts";
import { kindLevel } from "../util/log-format.ts";
import { encodeLogLine, logSubject, type JobLogLineV1 } from "../protocol/job-log.ts";

const text = (a: unknown[]) => a.map((x) => (typeof x === "string" ? x : x instanceof Error ? (x.stack ?? x.message) : inspect(x, { depth: 4, breakLength: Infinity }))).join(" ");

/** Stores job log lines of one proc. */
export class JobLogStore {
  private pub: JetStreamPublisher;
  constructor(nc: NatsConnection, private worker: string) {
    this.pub = new JetStreamPublisher(nc);
  }

  /** A logger for one attempt of a job: `inner` (the worker's log) plus the job's stored lines. */
  wrap(inner: Logger, job: { id: string; batch: string }, attempt: number): Logger {
    const store = (level: JobLogLineV1["level"], a: unknown[]) => {
      const line: JobLogLineV1 = { v: 1, at: Date.now(), level, msg: text(a), attempt, worker: this.worker };
      // best effort: the line is in the worker's log either way; a lost stored copy must not fail the job
      this.pub.publish(logSubject(job.batch, job.id), encodeLogLine(line)).catch(() => {});
    };
    // startup/proc/job lines are kept as info, trace as debug (the levels of a stored line)
    return teeLogger(inner, (kind, a) => {
      const level = kindLevel[kind];
      store(level === "trace" ? "debug" : level, a);
    });
  }

  close(): void {
    this.pub.close();
  }
}
