// worker/: one proc's job loop: the handler registry (plugins), slots, priorities, limits, cancel,
// progress and workflows; runWorkerProc for a single process.
export * from "./cancel-watch.ts";
export * from "./limit-policy.ts";
export * from "./limits.ts";
export * from "./loop.ts";
export * from "./priority-puller.ts";
export * from "./priority.ts";
export * from "./proc.ts";
export * from "./progress.ts";
export * from "./registry.ts";
export * from "./slots.ts";
export * from "./workflow.ts";
