// The guard's I/O: resolve a URL's host once, check every address, and pin the connection to them.
//
// The addresses checked are the addresses connected to: they go to node:http(s) through its `lookup`
// option (Bun honours it, and tries them in turn), so a DNS answer cannot change between the check
// and the connect (DNS rebinding). An IP literal is checked as it is and needs no lookup.
// Bun's fetch has no such hook (only tls/proxy options), which is why the client uses node:http(s).

import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { TitleErrorCodes, toFetchError } from "./errors.ts";
import { blockedRange, isIpLiteral } from "./guard.ts";
import type { ResolvedAddress, TitleFetchOptions } from "./options.ts";
import { truncate, unbracket } from "./url.ts";

/** Whether the guard lets this URL's host through unchecked. */
function hostAllowed(url: URL, opts: TitleFetchOptions): boolean {
  if (opts.allowPrivate) return true;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return opts.allowHosts.some((h) => {
    const a = h.toLowerCase();
    return a === host || a === hostname;
  });
}

/** Resolves the URL's host once and checks every address; returns the addresses to connect to. */
export async function checkedAddresses(url: URL, opts: TitleFetchOptions, signal: AbortSignal): Promise<ResolvedAddress[] | null> {
  const host = unbracket(url.hostname);
  const allowed = hostAllowed(url, opts);
  if (isIpLiteral(host)) {
    const why = allowed ? null : blockedRange(host);
    if (why) throw blocked(url, `${host} is ${why}`);
    return null; // an IP literal is connected to as it is: no lookup happens
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await abortable(opts.resolve ? opts.resolve(host) : systemResolve(host), signal);
  } catch (err) {
    throw toFetchError(err, truncate(url.href));
  }
  if (addresses.length === 0) {
    throw new JobError(TitleErrorCodes.FETCH_DNS, `${truncate(url.href)}: ${host} has no address`);
  }
  if (!allowed) {
    for (const a of addresses) {
      const why = blockedRange(a.address);
      if (why) throw blocked(url, `${host} resolves to ${a.address} (${why})`);
    }
  }
  return addresses;
}

function blocked(url: URL, what: string): JobError {
  return new JobError(
    TitleErrorCodes.FETCH_BLOCKED,
    `refused ${truncate(url.href)}: ${what}. Private and reserved addresses are blocked; ` +
      `to fetch from an intranet, run the worker with --allow-private-fetch (DOCCTL_ALLOW_PRIVATE_FETCH=1)`,
  );
}

async function systemResolve(host: string): Promise<ResolvedAddress[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family }));
}

/** A `lookup` that answers with the addresses already checked, instead of asking DNS again. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean; family?: number | string }, cb: (...args: unknown[]) => void) => {
    const family = options?.family === "IPv4" ? 4 : options?.family === "IPv6" ? 6 : Number(options?.family) || 0;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    if (usable.length === 0) {
      cb(Object.assign(new Error(`no IPv${family} address`), { code: "ENOTFOUND" }));
    } else if (options?.all) {
      cb(null, usable);
    } else {
      cb(null, usable[0].address, usable[0].family);
    }
  }) as unknown as LookupFunction;
}

/** Rejects with the signal's reason when it aborts first. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

