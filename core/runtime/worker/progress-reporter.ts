// A running job's progress (ctx.progress) published on its progress subject. Best effort: a report that
// cannot be sent is logged, never fails the job. Reports closer than 100 ms apart are folded: the latest
// is sent when the interval is over.
import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeProgress, type JobV1 } from "../protocol/codec.ts";
import { progressSubject } from "../protocol/subjects.ts";
import type { JobContext } from "../protocol/types.ts";
import type { Logger } from "../util/log.ts";
import { progressOf, type JobProgress } from "./progress.ts";

export class ProgressReporter {
  private state = new Map<string, { last: number; timer?: ReturnType<typeof setTimeout>; sending?: Promise<void> }>();

  /** `entry(key)` is the job in flight under that key (its progress is kept there for stats), or undefined once it ended */
  constructor(
    private js: JetStreamClient,
    private workerId: string,
    private log: Logger,
    private entry: (key: string) => { progress?: JobProgress } | undefined,
  ) {}

  async report(key: string, job: JobV1, p: Parameters<JobContext["progress"]>[0]): Promise<void> {
    const info = progressOf(p);
    const entry = this.entry(key);
    if (!entry) return;
    entry.progress = info;
    const st = this.state.get(key) ?? { last: 0 };
    this.state.set(key, st);
    const send = async () => {
      st.last = Date.now();
      st.timer = undefined;
      const cur = this.entry(key)?.progress;
      if (!cur) return this.state.delete(key), undefined;
      const msg = encodeProgress({ v: 1, id: job.id, batch: job.batch, handler: job.handler, worker: this.workerId, at: Date.now(), ...cur });
      try {
        await this.js.publish(progressSubject(job.batch, job.id), msg);
      } catch (err) {
        this.log.debug(`progress of ${job.id} not sent: ${(err as Error).message}`);
      }
    };
    const wait = st.last + 100 - Date.now();
    if (wait <= 0 && !st.timer) return (st.sending = send());
    st.timer ??= setTimeout(() => void (st.sending = send()), Math.max(0, wait));
  }

  /** The job ended: a folded report still waiting is dropped. */
  forget(key: string): void {
    const ps = this.state.get(key);
    if (ps?.timer) clearTimeout(ps.timer);
    this.state.delete(key);
  }
}
