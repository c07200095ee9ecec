// The worker's live dashboard: placeholder until the page lands.
import type { RouteHandler } from "./http.ts";
import type { WorkerHttpContext } from "./worker-http.ts";

/** Routes of the dashboard: GET / and its JSON API. */
export function dashboardRoutes(_ctx: WorkerHttpContext): Record<string, RouteHandler> {
  return {};
}
