// A job's final result is written once: the first one stored wins, and the server enforces it. Every
// writer (a handler's outcome, cancel, the watchdog's TIMEOUT, dead letters, workflow steps) publishes
// with `Nats-Expected-Last-Subject-Sequence: 0`, so a second final result on the same subject is
// refused by JetStream (10071 "wrong last sequence") instead of replacing the first: a check-then-act
// in docctl (read the state, then write) could never close the race between cancel and completion.
import { JetStreamApiError, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { STREAM_RESULTS, resultSubject } from "../protocol/subjects.ts";

/** The header that makes a publish conditional on its subject holding no message yet. */
export const EXPECT_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence";

/** JetStream's error code for a failed expected-last-sequence check ("wrong last sequence: N"). */
export const WRONG_LAST_SEQUENCE = 10071;

/** What a write of a final result did: stored it, or found one stored before (which stands). */
export type ResultWrite = "stored" | "taken";

/** True when JetStream refused a result because its subject already holds one. */
export function isResultTaken(err: unknown): boolean {
  for (let e = err as { cause?: unknown } | undefined, n = 0; e && n < 5; e = e.cause as typeof e, n++) {
    if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) return true;
  }
  return false;
}

/** Headers of a first-result-wins publish (plus a message id when given). */
export function resultOnceHeaders(msgID?: string) {
  const h = headers();
  h.set(EXPECT_LAST_SUBJECT_SEQ, "0");
  if (msgID) h.set("Nats-Msg-Id", msgID);
  return h;
}

/** Publish a final result unless the job has one already; resolves with what happened. */
export async function publishResultOnce(js: JetStreamClient, subject: string, data: Uint8Array, msgID?: string): Promise<ResultWrite> {
  try {
    await js.publish(subject, data, { expect: { lastSubjectSequence: 0 }, ...(msgID ? { msgID } : {}) });
    return "stored";
  } catch (err) {
    if (isResultTaken(err)) return "taken";
    throw err;
  }
}

/**
 * Remove job `id`'s stored result (batch `batch`), for a deliberate re-run of a finished job (retrying a
 * dead letter): without it, the re-run's result would be refused as a second one.
 */
export async function clearResult(nc: NatsConnection, batch: string, id: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge(STREAM_RESULTS, { filter: resultSubject(batch, id) });
}

/**
 * After a refused write: whether the stored result is the very one we sent (our earlier publish was
 * stored but its PubAck lost, and the retry was refused), i.e. it is ours and stands.
 */
export async function storedResultIs(nc: NatsConnection, subject: string, data: Uint8Array): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  // null is "no message" (nats.js answers 10037 so); a failure is thrown, and the job is redelivered
  // rather than its own stored result taken for another job's
  const m = await jsm.streams.getMessage(STREAM_RESULTS, { last_by_subj: subject });
  if (!m || m.data.byteLength !== data.byteLength) return false;
  for (let i = 0; i < data.byteLength; i++) if (m.data[i] !== data[i]) return false;
  return true;
}
