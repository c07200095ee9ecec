// client/: what a submitter or an operator does from outside the workers: job files, submit and
// results, lag, dead letters, cancel, job state, schedules, limits, the fleet's control client.
export * from "./cancel.ts";
export * from "./dead.ts";
export * from "./fleet.ts";
export * from "./handlers.ts";
export * from "./job-control-status.ts";
export * from "./job-state.ts";
export * from "./jobfile.ts";
export * from "./lag-cache.ts";
export * from "./lag.ts";
export * from "./limits.ts";
export * from "./schedule-ticks.ts";
export * from "./schedules.ts";
export * from "./submit.ts";
