// http/: a worker's HTTP side: the server, /metrics (merged over procs), /healthz and the dashboard.
export * from "./dashboard-page.ts";
export * from "./dashboard.ts";
export * from "./metrics-merge.ts";
export * from "./server.ts";
export * from "./worker-http.ts";
