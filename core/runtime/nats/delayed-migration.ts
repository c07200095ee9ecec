// One-time migration of delayed jobs an older docctl (before nats-server 2.14) left in the
// DOCCTL_DELAYED stream: each becomes an `@at` schedule in DOCCTL_TASKS (nats/delays.ts) at its
// run_at (a past one is due at once), then the old stream is deleted. Run by workers, managers and
// `docctl up` when they set up the streams; idempotent (the job id is the Nats-Msg-Id, so two
// processes migrating at once make one job). Nothing else reads DOCCTL_DELAYED.
import type { JetStreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { decodeJob, encodeDeadFitting } from "../protocol/codec.ts";
import { ErrorCodes } from "../protocol/errors.ts";
import { STREAM_DELAYED, deadSubject } from "../protocol/subjects.ts";
import { delayedPublish } from "./delays.ts";
import { isNotFound } from "./errors.ts";
import type { Logger } from "../protocol/logger.ts";


/** Move every job of DOCCTL_DELAYED into the server's schedules and delete the stream; resolves with how many moved. */
export async function migrateDelayedStream(jsm: JetStreamManager, log?: Logger, now = Date.now()): Promise<number> {
  let info;
  try {
    info = await jsm.streams.info(STREAM_DELAYED);
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
  const js = jsm.jetstream();
  let moved = 0;
  let bad = 0;
  // read by sequence: a work-queue stream takes no ordered (ack-none) consumer
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    // null: no message at this sequence (nats.js answers 10037 so); any other failure is thrown, so the
    // stream is never deleted with a job it could not read (the migration runs again next time)
    const m = await jsm.streams.getMessage(STREAM_DELAYED, { seq });
    if (!m) continue;
    const d = decodeJob(m.data);
    if (d.ok) {
      const job = d.value;
      const p = delayedPublish({ ...job, run_at: Math.max(job.run_at ?? now, now) });
      await js.publish(p.subject, m.data, { msgID: p.msgID, headers: toHeaders(p.headers) });
      moved++;
    } else {
      // garbage an older mover would have dropped: kept as a dead letter, never silently lost
      bad++;
      await js.publish(deadSubject("_delayed"), encodeDeadFitting({
        v: 1, job: null, raw: m.data, subject: m.subject, attempts: 0, worker: "migration", failed_at: now,
        error: { code: ErrorCodes.BAD_MESSAGE, message: `not a v1 job (${d.problem}); found in ${STREAM_DELAYED} by the migration`, retryable: false },
      }, 1024 * 1024), { msgID: `dead-migrated-${seq}` });
    }
  }
  await jsm.streams.delete(STREAM_DELAYED).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
  if (moved || bad) log?.info(`migrated ${moved} delayed job(s) from ${STREAM_DELAYED} to server-side schedules (docctl.delay.<id>)${bad ? `; ${bad} undecodable message(s) went to docctl.dead._delayed` : ""}; ${STREAM_DELAYED} deleted`);
  return moved;
}

function toHeaders(h: Record<string, string>) {
  const out = headers();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}
