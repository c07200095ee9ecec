// Pure rate-limit arithmetic: starts are spaced evenly, one every per_ms/count, and a log of the last
// `count` starts keeps every sliding window of per_ms (plus a margin for the time between reserving a
// start and the handler beginning) to at most `count` starts.

/**
 * Given the next free start time recorded fleet-wide (`prev`, ms since epoch, 0 = none) and now,
 * when this job may start and what the next free start time becomes. Evenly spaced starts mean
 * that no window of `per_ms` ever holds more than `count` starts, bursts included.
 */
export function nextRateStart(prev: number, now: number, rate: { count: number; per_ms: number }): { startAt: number; next: number } {
  const interval = rate.per_ms / rate.count;
  const startAt = Math.max(now, prev);
  return { startAt, next: startAt + interval };
}

/** Parse `5/s`, `100/m`, `2/h` into a rate; undefined when it is not one. */
export function parseRate(text: string): { count: number; per_ms: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(s|sec|m|min|h|hour)\s*$/.exec(text);
  if (!m) return undefined;
  const per = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000 }[m[2] as "s"];
  const count = Number(m[1]);
  return count > 0 ? { count, per_ms: per } : undefined;
}

/** The fleet-wide rate state of one handler (KV `rate.<handler>`, JSON): the earliest next start and the last starts. */
export interface RateStateV1 {
  /** ms since epoch: the next start may not come before this (even spacing) */
  next: number;
  /** ms since epoch: the last (at most `count`) starts, oldest first */
  log: number[];
}

/**
 * How long past `per_ms` the count-th start after another must wait: a start is recorded when it is
 * reserved and the handler begins a moment later, so two starts `per_ms` apart on record can be a few
 * ms closer in fact. 25 ms, or a tenth of the spacing when that is smaller.
 */
export const rateMarginMs = (rate: { count: number; per_ms: number }) => Math.min(25, rate.per_ms / rate.count / 10);

/** Parses the stored state (the old form, a bare next time, too); undefined: none. */
export function parseRateState(text: string | undefined): RateStateV1 {
  if (!text) return { next: 0, log: [] };
  if (/^\d+$/.test(text)) return { next: Number(text), log: [] };
  try {
    const s = JSON.parse(text) as RateStateV1;
    return { next: Number(s.next) || 0, log: Array.isArray(s.log) ? s.log.filter((n) => typeof n === "number") : [] };
  } catch {
    return { next: 0, log: [] }; // not JSON (a foreign or cut entry): the rate window starts afresh
  }
}

/**
 * How far ahead of the decision a start is recorded: the job must begin within this time after the
 * decision (the compare-and-set's round trip) or it does not begin at all and decides again. So the
 * recorded time is never before the real start, and a window measured from it cannot hold more
 * starts than allowed, whatever the load. 50 ms, or a quarter of the spacing when that is smaller.
 */
export const rateLeadMs = (rate: { count: number; per_ms: number }) => Math.min(50, rate.per_ms / rate.count / 4);

/**
 * A start now under `rate`, given the recorded state: `wait` ms first (then decide again with the
 * state read anew), or take it and record `state` (this start recorded at `at` = now + the lead, an
 * upper bound of when it begins). Taken only when no sliding window of per_ms + margin would hold more
 * than `count` starts with this one.
 */
export function decideRateStart(s: RateStateV1, now: number, rate: { count: number; per_ms: number }): { wait: number } | { state: RateStateV1; at: number } {
  const log = s.log.slice(-rate.count);
  let earliest = s.next;
  if (log.length >= rate.count) earliest = Math.max(earliest, log[log.length - rate.count]! + rate.per_ms + rateMarginMs(rate));
  if (earliest > now) return { wait: earliest - now };
  const at = now + rateLeadMs(rate);
  return { state: { next: now + rate.per_ms / rate.count, log: [...log, at].slice(-rate.count) }, at };
}

/**
 * The state with the recorded start `at` moved to `actual`, when the handler began: earlier than
 * recorded opens the limit sooner; later (the proc was held up after the grant) keeps the next
 * starts from bunching behind it.
 */
export function restampStart(s: RateStateV1, at: number, actual: number): RateStateV1 | undefined {
  const i = s.log.lastIndexOf(at);
  if (i < 0 || actual === at) return undefined;
  const log = [...s.log];
  log[i] = actual;
  return { next: s.next, log };
}
