// The provider interface: what the manager asks of a place that runs worker servers.

/** One worker server as a provider sees it. */
export interface Server {
  /** provider id (droplet id, local process number) */
  id: string;
  /** provider name (droplet name, "local-3") */
  name: string;
  /** the worker id it runs under (`--name`): how the manager reaches it on the control subject */
  workerId: string;
  /**
   * booting: created, not running yet (counts as capacity); active: running;
   * stuck: never became active within the boot bound, to be deleted
   */
  state: "booting" | "active" | "stuck";
  /** creation time, ms since the epoch */
  createdAt: number;
}

/** Somewhere worker servers can be created and removed. Touches only servers it owns (its tag). */
export interface Provider {
  /** "local", "digitalocean" */
  readonly name: string;
  /** the NATS URL its workers are told to use (named, masked, when they never come up) */
  readonly natsUrl?: string;
  /** servers this provider owns, in any state */
  list(): Promise<Server[]>;
  /** create `n` more servers; resolves with what was created */
  create(n: number): Promise<Server[]>;
  /**
   * Let the server's worker finish its in-flight jobs (bounded), then delete the server.
   * If `signal` aborts (the manager is stopping), give up waiting and leave the server as it is.
   */
  drainAndDelete(server: Server, signal?: AbortSignal): Promise<void>;
  /** delete at once, no drain (a server that never booted) */
  destroy(server: Server): Promise<void>;
  /** why a server that is gone ended, if the provider knows (a local worker's exit code and last error line) */
  describeExit?(server: Server): string | undefined;
  /** what to check when servers keep failing to come up (the image, the unit ...), for the manager's diagnosis */
  failureHints?(): string[];
  /** release anything the provider holds (child processes stay unless `stop` says otherwise) */
  /** a second stop request: stop what is still draining at once (local workers) */
  hurry?(): void;
  stop?(): Promise<void>;
}
