// Handler setup() at a proc's start (each within --setup-timeout) and teardown() at its drain.
import type { Logger } from "../util/log.ts";
import type { HandlerRegistry, RegisteredHandler } from "./registry.ts";

/**
 * Runs every handler's setup(), all within `setupMs` from now; returns the handlers set up (for
 * tearDownHandlers). A setup that throws or does not finish in time is logged and thrown on.
 */
export async function setUpHandlers(registry: HandlerRegistry, setupMs: number, log: Logger): Promise<RegisteredHandler[]> {
  const setUp: RegisteredHandler[] = [];
  const setupDeadline = Date.now() + setupMs;
  for (const name of registry.names()) {
    const h = registry.get(name)!;
    if (!h.def.setup) continue;
    // An async setup() that never settles is ended here; one that blocks the event loop is ended by
    // the supervisor, which times the same limit from the "setup" notice.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`setup() of handler "${name}" did not finish within ${setupMs}ms (--setup-timeout): the proc stops, and is restarted with backoff like a crash`)),
        Math.max(0, setupDeadline - Date.now()),
      );
    });
    try {
      await Promise.race([Promise.resolve().then(() => h.def.setup!()), late]);
    } catch (err) {
      log.error((err as Error).message);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    setUp.push(h);
  }
  return setUp;
}

/** Runs teardown() of each handler set up; one that throws is said at warn and the others still run. */
export async function tearDownHandlers(setUp: RegisteredHandler[], log: Logger): Promise<void> {
  for (const h of setUp) {
    try {
      await h.def.teardown?.();
    } catch (err) {
      log.warn(`teardown of handler ${h.name} failed: ${(err as Error).message}`);
    }
  }
}
