// Attempt notes (part of the v1 contract, docs/protocol.md): what a supervisor saw end a job's attempt
// (its proc crashed, the watchdog killed it), kept in KV bucket DOCCTL_ATTEMPTS under the job id, so the
// next delivery, on any worker, knows which deliveries count as attempts and why the earlier ones ended.

/** How one attempt ended, as the supervisor of the proc that ran it saw it. */
export interface AttemptEndV1 {
  /** the delivery (JetStream delivery count) that ended */
  delivery: number;
  /** watchdog: the proc's event loop stopped answering past this job's limit; crash: the proc died under it;
   *  neighbour: the proc died (or was killed) because of another job; stopped: the proc was stopped by force */
  cause: "watchdog" | "crash" | "neighbour" | "stopped";
  /** whether this delivery counts as one of the job's attempts */
  charged: boolean;
  /** for people: what happened, which proc, which job caused it */
  message: string;
  worker: string;
  proc: string;
  /** ms since epoch */
  at: number;
}

/** The JSON value under key `<job id>` in DOCCTL_ATTEMPTS. */
export interface AttemptNotesV1 {
  v: 1;
  id: string;
  ended: AttemptEndV1[];
}

/** Deliveries a job may be spared (not charged) in all: a job that keeps being near crashes is charged after that. */
export const MAX_UNCHARGED = 3;

/** Deliveries of this job that did not count as attempts. */
export function unchargedCount(notes: AttemptNotesV1 | undefined): number {
  return notes ? notes.ended.filter((e) => !e.charged).length : 0;
}

/** The attempt number of delivery `deliveryCount`: deliveries spared by the notes do not count. */
export function attemptOf(deliveryCount: number, notes: AttemptNotesV1 | undefined): number {
  return Math.max(1, deliveryCount - unchargedCount(notes));
}

/** Whether a new end of this job may be left uncharged (the cap keeps a job near every crash from looping). */
export function maySpare(notes: AttemptNotesV1 | undefined): boolean {
  return unchargedCount(notes) < MAX_UNCHARGED;
}

/** One line per ended attempt, for error messages: "delivery 1 (charged): ...". */
export function describeEnds(notes: AttemptNotesV1 | undefined): string {
  if (!notes?.ended.length) return "";
  return notes.ended.map((e) => `delivery ${e.delivery}${e.charged ? "" : " (not counted)"}: ${e.message}`).join("; ");
}

/** Reads a stored notes value; undefined for anything that is not one (a foreign writer). */
export function parseNotes(json: string): AttemptNotesV1 | undefined {
  try {
    const o = JSON.parse(json) as AttemptNotesV1;
    if (o?.v !== 1 || typeof o.id !== "string" || !Array.isArray(o.ended)) return undefined;
    o.ended = o.ended.filter((e) => e && typeof e.delivery === "number" && typeof e.charged === "boolean" && typeof e.message === "string");
    return o;
  } catch {
    return undefined; // not JSON: a foreign or broken notes entry counts as no notes
  }
}
