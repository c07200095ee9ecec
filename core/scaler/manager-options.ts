// What a manager is given (options, defaults, its dependencies) and what it reports (snapshot, tick report).
import type { NatsConnection } from "@nats-io/transport-node";
import type { Backoff } from "../runtime/util/backoff.ts";
import type { LagReading } from "../runtime/client/lag.ts";
import { STREAM_TASKS } from "../runtime/protocol/subjects.ts";
import type { ServerState } from "./readiness.ts";
import { policyDefaults, type Decision, type PolicyOptions } from "./policy.ts";
import type { Provider } from "./providers/types.ts";
import type { Logger } from "../runtime/protocol/logger.ts";

/** Manager options. Durations in ms. */
export interface ManagerOptions {
  /** the scaling policy's knobs */
  policy: PolicyOptions;
  /** how often to read lag and reconcile */
  intervalMs: number;
  /** log what would be done and change nothing (takes no lease either) */
  dryRun: boolean;
  /** fire schedules and move due delayed jobs (default true; never in a dry run) */
  jobControl?: boolean;
  /** lifetime of the leader lease without renewal; a standby takes over this long after a leader dies */
  leaseTtlMs: number;
  /** this manager's id in the lease (default: a fresh `manager-<pid>-<random>` per instance) */
  id?: string;
  /** the tasks stream whose consumers' lag is read */
  stream: string;
  /**
   * the handlers the workers this manager starts serve; when set, jobs for a handler outside it with
   * no consumer (nobody ever registered it) do not count as lag (servers could not work them off) and
   * are reported instead. Unset: all lag counts.
   */
  handlers?: string[];
  /** time limit of one status request when picking the least busy worker */
  statusTimeoutMs: number;
  /** KV bucket of the lease */
  leaseBucket?: string;
  /**
   * pause between creation rounds after servers never became ready or the provider refused to create
   * them (422, bad token, missing image): without it a broken snapshot is created and deleted forever
   */
  createBackoff: Backoff;
  /**
   * a server whose worker has not registered presence this long after its creation (or after it went
   * away) is deleted and replaced: the cloud saying "active" is not capacity
   */
  bootTimeoutMs: number;
  /** after this many servers in a row never came up, stop creating and say why */
  maxBootFailures: number;
  /** while stopped after boot failures, try one server this often to see whether the cause is fixed */
  probeMs: number;
  /** /healthz answers 503 (with the reason) after this many ticks in a row failed (provider or NATS errors) */
  unhealthyAfter: number;
  /** the NATS URL the workers are told to use (named, masked, when servers never come up) */
  workerNatsUrl?: string;
}

export const managerDefaults: ManagerOptions = {
  policy: policyDefaults,
  intervalMs: 5000,
  dryRun: false,
  leaseTtlMs: 15_000,
  stream: STREAM_TASKS,
  statusTimeoutMs: 500,
  createBackoff: { initialMs: 30_000, maxMs: 15 * 60_000, factor: 2, jitter: 0 },
  bootTimeoutMs: 10 * 60_000,
  maxBootFailures: 3,
  probeMs: 15 * 60_000,
  unhealthyAfter: 3,
};

/** What the manager knows now, for /metrics, the dashboard and `docctl status`. */
export interface ManagerSnapshot {
  id: string;
  provider: string;
  leader: boolean;
  /** servers by state (ready = its worker registered) */
  servers: Record<ServerState, number>;
  /** each server, for the dashboard */
  list: { id: string; name: string; workerId: string; state: ServerState; why: string; createdAt: number }[];
  desired: number | null;
  lag: number | null;
  lastReason: string;
  /** decisions taken, by action */
  decisions: Record<"up" | "down" | "hold", number>;
  /** provider API errors, by ProviderError code */
  providerErrors: Record<string, number>;
  /** servers in a row whose worker never registered */
  bootFailures: number;
  /** why creating stopped (null while creating) */
  halted: string | null;
  at: number;
  /** the last decision's cause, a fixed word (DecisionCause) fit for a metric label */
  lastCause: string;
  /** whether `servers` is what the provider listed at the last tick (false while the provider fails: unknown, not zero) */
  serversKnown: boolean;
  /** servers created, deleted (drained or failed) by this manager, and ones gone without it removing them */
  created: number;
  deleted: number;
  lost: number;
  /** when a tick last ran through (provider listed, decision made), ms; null before the first */
  lastSuccessfulTick: number | null;
  /** ticks in a row that failed, and why the last one did */
  failedTicks: number;
  lastError: string | null;
  /** /healthz fails after this many failed ticks in a row */
  unhealthyAfter: number;
}

/** What one tick saw and did (for logs, tests and /metrics). */
export interface TickReport {
  at: number;
  leader: boolean;
  lag?: LagReading;
  servers?: { ready: number; booting: number; draining: number; failed: number };
  decision?: Decision;
  created: string[];
  draining: string[];
  destroyed: string[];
  error?: string;
}

export interface ManagerDeps {
  nc: NatsConnection;
  provider: Provider;
  log: Logger;
  /** the clock (tests may pass their own) */
  now?: () => number;
  /** aborted by stop(): share it with the provider's HTTP client so its waits end too */
  abort?: AbortController;
}
