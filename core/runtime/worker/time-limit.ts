// An attempt's time limit and its cancel signal: the handler raced against both, and a cancelled
// handler that does not return within a grace reported.
import { ErrorCodes, toWireError } from "../protocol/errors.ts";

/** Whether a job's signal was aborted by a cancel (docctl cancel), not by a time limit or a stop. */
export function cancelledBy(signal: AbortSignal): boolean {
  return signal.aborted && toWireError(signal.reason).code === ErrorCodes.CANCELLED;
}

/**
 * Runs `handle` until it settles, its time limit passes (the signal is aborted with TIMEOUT) or the
 * signal is aborted otherwise (rejects with the reason). After a cancel, `onCancelled` is given the
 * handler's promise to watch (see watchGrace).
 */
export async function runWithinLimit<T>(handle: () => T | Promise<T>, timeoutMs: number, abort: AbortController, onCancelled: (running: Promise<T>, why: string) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = Object.assign(new Error(`attempt ran past its time limit of ${timeoutMs}ms`), { code: ErrorCodes.TIMEOUT, retryable: true });
      abort.abort(e);
      reject(e);
    }, timeoutMs);
    abort.signal.addEventListener("abort", () => reject(abort.signal.reason), { once: true });
  });
  const running = Promise.resolve().then(handle);
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
    // after a cancel or the time limit the handler should stop; one that goes on is watched
    if (cancelledBy(abort.signal)) onCancelled(running, ErrorCodes.CANCELLED);
    else if (abort.signal.aborted && toWireError(abort.signal.reason).code === ErrorCodes.TIMEOUT) onCancelled(running, ErrorCodes.TIMEOUT);
  }
}

/**
 * A cancelled handler that does not return within `graceMs` is still holding the proc's event loop or
 * resources: `onIgnored` is called (the loop says so and hands it to the watchdog to end the proc).
 */
export function watchGrace(running: Promise<unknown>, graceMs: number, onIgnored: () => void): void {
  let settled = false;
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  const t = setTimeout(() => {
    if (!settled) onIgnored();
  }, graceMs);
  (t as { unref?: () => void }).unref?.();
}
