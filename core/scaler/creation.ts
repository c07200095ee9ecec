// When the manager may create servers: not while servers in a row have never come up (halted, with one
// probe now and then), not for a backoff after the provider refused. The decision to grow is the
// policy's; this is the gate in front of provider.create().
import { backoffDelay } from "../runtime/util/backoff.ts";
import type { Provider, Server } from "./providers/types.ts";
import type { Logger } from "../runtime/protocol/logger.ts";
import { ProviderError, ProviderErrorCodes } from "./errors.ts";
import { initialBootStreak, nextBootStreak, type BootStreak } from "./readiness.ts";
import type { ManagerOptions } from "./manager-options.ts";
import { bootFailureDiagnosis } from "./manager-steps.ts";

/** What the gate needs from its manager. */
export interface CreationDeps {
  provider: Provider;
  log: Logger;
  now: () => number;
  /** calls the provider, counting its errors and timing it (the manager's /metrics) */
  call: <T>(p: () => Promise<T>, op: string) => Promise<T>;
}

type CreationOptions = Pick<ManagerOptions, "dryRun" | "probeMs" | "createBackoff" | "maxBootFailures" | "bootTimeoutMs" | "workerNatsUrl">;

/** The creation gate of one manager: its boot-failure streak and its pause after refusals. */
export class Creation {
  private streak: BootStreak = initialBootStreak;
  private nextProbeAt = 0;
  private failures = 0;
  private pausedUntil = 0;
  /** why the provider's last server that never came up ended, for the diagnosis */
  private lastExit: string | undefined;

  constructor(private d: CreationDeps, private opts: CreationOptions) {}

  /** servers in a row that never came up */
  get bootFailures(): number {
    return this.streak.failures;
  }

  /** why creating is halted (the diagnosis), or null */
  get halted(): string | null {
    return this.streak.halted;
  }

  /** A server went away before its worker registered: `why` goes into the diagnosis. */
  noteExit(why: string): void {
    this.lastExit = why;
  }

  /** Servers in a row that never came up stop the creating (and a registered worker resumes it). */
  look(seen: { failed: number; registered: number }, now: number): void {
    const wasHalted = this.streak.halted;
    this.streak = nextBootStreak(this.streak, seen, this.opts.maxBootFailures, (n) => this.diagnosis(n));
    if (this.streak.halted && !wasHalted) {
      this.d.log.error(this.streak.halted);
      this.nextProbeAt = now + this.opts.probeMs;
    }
    if (!this.streak.halted && wasHalted) this.d.log.info(`a worker registered: creating servers again`);
  }

  /**
   * Creates `delta` servers, unless a dry run, halted after boot failures (one probe now and then) or
   * paused after the provider refused; returns what was created, or null when nothing was asked for.
   */
  async create(delta: number, now: number, say: (...a: unknown[]) => void): Promise<Server[] | null> {
    const { provider, log } = this.d;
    if (this.opts.dryRun) {
      say(`dry run: would create ${delta} server(s) on ${provider.name}`);
      return null;
    }
    if (this.streak.halted && now < this.nextProbeAt) {
      log.debug(`not creating: ${this.streak.halted}`);
      return null;
    }
    if (now < this.pausedUntil) {
      log.debug(`not creating for ${Math.ceil((this.pausedUntil - now) / 1000)}s more after failures`);
      return null;
    }
    let n = delta;
    if (this.streak.halted) {
      // one server to see whether the cause was fixed; the streak clears when its worker registers
      n = 1;
      this.nextProbeAt = now + this.opts.probeMs;
      log.warn(`creating one server to see whether the cause is fixed (servers in a row that never came up: ${this.streak.failures})`);
    }
    let made: Server[];
    try {
      made = await this.d.call(() => provider.create(n), "create");
    } catch (err) {
      // 5xx, 429 and network trouble are retried on the next tick; a refusal waits longer
      const transient = err instanceof ProviderError && (err.code === ProviderErrorCodes.UNAVAILABLE || err.code === ProviderErrorCodes.RATE_LIMITED);
      if (!transient) this.pause("the provider refused to create servers");
      throw err;
    }
    this.failures = 0;
    return made;
  }

  private pause(why: string): void {
    this.failures++;
    const ms = backoffDelay(this.failures - 1, this.opts.createBackoff);
    this.pausedUntil = this.d.now() + ms;
    this.d.log.error(`${why}: no new servers for ${Math.round(ms / 1000)}s (failure ${this.failures} in a row)`);
  }

  private diagnosis(n: number): string {
    const p = this.d.provider;
    return bootFailureDiagnosis(n, {
      natsUrl: this.opts.workerNatsUrl ?? p.natsUrl,
      lastExit: this.lastExit,
      hints: p.failureHints?.() ?? [],
      bootTimeoutMs: this.opts.bootTimeoutMs,
      probeMs: this.opts.probeMs,
    });
  }
}
