// Deleting one stream message that another process may take or delete first (a worker, a schedule that
// fires, another docctl): "not there any more" is an answer, every other failure is thrown.
import type { JetStreamManager } from "@nats-io/jetstream";
import { isDeleteOfNoMessage } from "./errors.ts";

/**
 * Deletes message `seq` of `stream`: true when this call deleted it, false when it was not there (taken
 * or deleted meanwhile, 10057). A timeout or a lost connection is thrown: the delete may have happened,
 * and treating it as "not there" could drop or duplicate a job.
 */
export async function deleteIfThere(jsm: JetStreamManager, stream: string, seq: number, erase = false): Promise<boolean> {
  try {
    return await jsm.streams.deleteMessage(stream, seq, erase);
  } catch (err) {
    if (isDeleteOfNoMessage(err)) return false;
    throw err;
  }
}
