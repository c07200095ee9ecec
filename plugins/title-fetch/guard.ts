// Address classification for the fetch guard: is this IP one a job may connect to? Pure, no I/O.
//
// IPv4 is a block list (the IANA special-purpose registry entries that are not globally reachable).
// IPv6 is an allow list: only global unicast 2000::/3 minus its special blocks, plus the forms that
// embed an IPv4 address (mapped, NAT64, 6to4), which are judged by that IPv4 address.

/** Schemes the handler fetches; everything else (file:, ftp:, data:, gopher: ...) is refused. */
export const allowedSchemes: ReadonlySet<string> = new Set(["http:", "https:"]);

type V4Range = readonly [base: number, bits: number, name: string];

const v4 = (dotted: string): number => parseIPv4(dotted)!;

// Order matters only for the name reported: the first match wins.
const blockedV4: readonly V4Range[] = [
  [v4("255.255.255.255"), 32, "limited broadcast 255.255.255.255/32"],
  [v4("0.0.0.0"), 8, "unspecified / \"this network\" 0.0.0.0/8"],
  [v4("10.0.0.0"), 8, "private 10.0.0.0/8"],
  [v4("100.64.0.0"), 10, "carrier-grade NAT 100.64.0.0/10"],
  [v4("127.0.0.0"), 8, "loopback 127.0.0.0/8"],
  [v4("169.254.0.0"), 16, "link-local 169.254.0.0/16 (cloud metadata lives here)"],
  [v4("172.16.0.0"), 12, "private 172.16.0.0/12"],
  [v4("192.0.0.0"), 24, "IETF protocol assignments 192.0.0.0/24"],
  [v4("192.0.2.0"), 24, "documentation 192.0.2.0/24"],
  [v4("192.88.99.0"), 24, "6to4 relay anycast 192.88.99.0/24"],
  [v4("192.168.0.0"), 16, "private 192.168.0.0/16"],
  [v4("198.18.0.0"), 15, "benchmarking 198.18.0.0/15"],
  [v4("198.51.100.0"), 24, "documentation 198.51.100.0/24"],
  [v4("203.0.113.0"), 24, "documentation 203.0.113.0/24"],
  [v4("224.0.0.0"), 4, "multicast 224.0.0.0/4"],
  [v4("240.0.0.0"), 4, "reserved 240.0.0.0/4"],
];

type V6Range = readonly [prefix: string, bits: number, name: string];

// Named for clear messages; anything outside 2000::/3 is refused anyway.
const blockedV6: readonly V6Range[] = [
  ["::", 128, "unspecified ::/128"],
  ["::1", 128, "loopback ::1/128"],
  ["::", 96, "IPv4-compatible ::/96 (deprecated)"],
  ["64:ff9b:1::", 48, "local-use NAT64 64:ff9b:1::/48"],
  ["100::", 64, "discard-only 100::/64"],
  ["2001:db8::", 32, "documentation 2001:db8::/32"],
  ["2001::", 32, "Teredo 2001::/32"],
  ["2001::", 23, "IETF protocol assignments 2001::/23"],
  ["3fff::", 20, "documentation 3fff::/20"],
  ["5f00::", 16, "SRv6 SIDs 5f00::/16"],
  ["fc00::", 7, "unique-local fc00::/7"],
  ["fe80::", 10, "link-local fe80::/10"],
  ["fec0::", 10, "site-local fec0::/10 (deprecated)"],
  ["ff00::", 8, "multicast ff00::/8"],
];

/** Parses a strict dotted-quad IPv4 address ("127.0.0.1") to an unsigned 32-bit number, or null. */
export function parseIPv4(s: string): number | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const b = Number(p);
    if (b > 255) return null;
    n = n * 256 + b;
  }
  return n;
}

/** Parses an IPv6 address (with "::" and an optional dotted IPv4 tail, brackets allowed) to 8 hextets, or null. */
export function parseIPv6(input: string): number[] | null {
  let s = input;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (s.includes("%")) return null; // zone ids never come from URLs or public DNS
  // A dotted IPv4 tail ("::ffff:1.2.3.4") is two hextets written another way.
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    const n = parseIPv4(s.slice(lastColon + 1));
    if (n === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    for (const h of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  if (head === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const rest = parse(halves[1]);
  if (rest === null) return null;
  const given = head.length + rest.length;
  if (given > 7) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
}

function inV4(addr: number, base: number, bits: number): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return ((addr & mask) >>> 0) === ((base & mask) >>> 0);
}

function inV6(addr: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((addr[i] & mask) !== (prefix[i] & mask)) return false;
  }
  return true;
}

function classifyV4(n: number): string | null {
  for (const [base, bits, name] of blockedV4) if (inV4(n, base, bits)) return name;
  return null;
}

const parsedV6 = blockedV6.map(([p, bits, name]) => [parseIPv6(p)!, bits, name] as const);
const v4mapped = parseIPv6("::ffff:0:0")!;
const nat64 = parseIPv6("64:ff9b::")!;
const sixToFour = parseIPv6("2002::")!;

function classifyV6(a: number[]): string | null {
  // Forms that carry an IPv4 address reach that address: judge them by it.
  const embedded = (hi: number, lo: number, what: string): string | null => {
    const r = classifyV4(((hi << 16) >>> 0) + lo);
    return r === null ? null : `${what} of ${r}`;
  };
  if (inV6(a, v4mapped, 96)) return embedded(a[6], a[7], "IPv4-mapped ::ffff:0:0/96");
  if (inV6(a, nat64, 96)) return embedded(a[6], a[7], "NAT64 64:ff9b::/96");
  if (inV6(a, sixToFour, 16)) return embedded(a[1], a[2], "6to4 2002::/16");
  for (const [prefix, bits, name] of parsedV6) if (inV6(a, prefix, bits)) return name;
  if ((a[0] & 0xe000) !== 0x2000) return "not global unicast (outside 2000::/3)";
  return null;
}

/**
 * Says why a job may not connect to this IP address: the name of the blocked range it falls in
 * ("loopback 127.0.0.0/8"), or null for a public address. Anything that is not a valid IP literal
 * is refused too.
 */
export function blockedRange(ip: string): string | null {
  const n4 = parseIPv4(ip);
  if (n4 !== null) return classifyV4(n4);
  const n6 = parseIPv6(ip);
  if (n6 !== null) return classifyV6(n6);
  return "not an IP address";
}

/** True when the string is an IPv4 or IPv6 literal (IPv6 with or without brackets). */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}
