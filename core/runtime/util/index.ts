// util/: small things every layer uses: the one backoff, durations, logging (repeats merged, secrets
// masked), metrics, sleep, URL redaction, the child environment.
export * from "./backoff.ts";
export * from "./duration.ts";
export * from "./env.ts";
export * from "./log.ts";
export * from "./metrics.ts";
export * from "./redact.ts";
export * from "./repeats.ts";
export * from "./sleep.ts";
