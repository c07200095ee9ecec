// What core/scaler offers: the policy, lag reading, the lease, providers and the manager loop.
export * from "./policy.ts";
export * from "./rate-limit.ts";
export * from "./errors.ts";
export { readLag, type LagReading, type HandlerLag } from "../runtime/client/lag.ts";
export * from "./lease.ts";
export { drainDefaults, drainWorker, workerStatus, type DrainOptions, type DrainOutcome } from "../runtime/client/fleet.ts";
export * from "./manager.ts";
export * from "./providers/types.ts";
export * from "./providers/local.ts";
export * from "./providers/digitalocean.ts";
export * from "./providers/do-api.ts";
export * from "./providers/cloud-init.ts";
export * from "./create.ts";
export * from "./readiness.ts";
export * from "./server-book.ts";
export * from "./credentials.ts";
export * from "./status.ts";
export * from "./http.ts";
