// nats/: everything that talks to NATS itself: the connection (auth, TLS), streams and consumers
// (topology), pulling and acking jobs (puller, JobMsg), NATS errors classified by the client's classes,
// the delayed-jobs mover, durability checks and the embedded nats-server.
export * from "./attempt-notes.ts";
export * from "./buckets.ts";
export * from "./connection.ts";
export * from "./delayed.ts";
export * from "./durability.ts";
export * from "./embedded.ts";
export * from "./errors.ts";
export * from "./handlers.ts";
export * from "./health.ts";
export * from "./job-msg.ts";
export * from "./publisher.ts";
export * from "./puller.ts";
export * from "./topology.ts";
export * from "./replicas.ts";
