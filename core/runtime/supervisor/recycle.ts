// When a proc recycles itself after --max-lifetime, as a pure function: procs started together must
// not all stop pulling at the same moment, so each one's lifetime is drawn from the last fifth before
// the limit (never past it).

/** Share of --max-lifetime over which procs' recycling is spread. */
export const LIFETIME_JITTER = 0.2;

/** A proc's lifetime for `maxLifetimeMs`; `random` in [0, 1) (Math.random() in production). */
export function jitteredLifetime(maxLifetimeMs: number, random: number, jitter = LIFETIME_JITTER): number {
  const r = Math.min(Math.max(random, 0), 1);
  return Math.max(1, Math.round(maxLifetimeMs * (1 - jitter * r)));
}
