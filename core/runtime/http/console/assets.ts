// The console's three assets, all served by the binary itself (no CDN, nothing fetched from elsewhere):
// the page (shell.ts), its stylesheet (styles.ts) and its script, made of one part per view. The parts
// are classic scripts joined in order into one console.js, so they share one scope as they did when the
// page was a single document.
import type { RouteHandler } from "../server.ts";
import { CONSOLE_HTML } from "./shell.ts";
import { CONSOLE_CSS } from "./styles.ts";
import { SCRIPT_BASE } from "./script-base.ts";
import { SCRIPT_CHARTS } from "./script-charts.ts";
import { SCRIPT_OVERVIEW } from "./script-overview.ts";
import { SCRIPT_JOBS } from "./script-jobs.ts";
import { SCRIPT_SCHEDULES } from "./script-schedules.ts";
import { SCRIPT_ROUTES } from "./script-routes.ts";

/** console.js: helpers first (the others use them), routing last (it starts the page). */
export const CONSOLE_JS = [SCRIPT_BASE, SCRIPT_CHARTS, SCRIPT_OVERVIEW, SCRIPT_JOBS, SCRIPT_SCHEDULES, SCRIPT_ROUTES].join("\n");

/**
 * The page's policy: scripts, styles, images and requests from this server only. Inline style
 * attributes stay allowed (the page sets colours and positions with them); inline scripts do not.
 */
export const CONSOLE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const asset = (body: string, type: string) => () =>
  new Response(body, { headers: { "content-type": type, "cache-control": "no-store", "content-security-policy": CONSOLE_CSP, "x-frame-options": "DENY", "x-content-type-options": "nosniff" } });

/** GET routes of the page and its assets (paths relative to the page, so a prefix in front still works). */
export function consoleAssetRoutes(): Record<string, RouteHandler> {
  return {
    "GET /": asset(CONSOLE_HTML, "text/html; charset=utf-8"),
    "GET /console.css": asset(CONSOLE_CSS, "text/css; charset=utf-8"),
    "GET /console.js": asset(CONSOLE_JS, "text/javascript; charset=utf-8"),
  };
}
