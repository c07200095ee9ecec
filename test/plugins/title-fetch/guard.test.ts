// The fetch guard's address classifier: which IPs a title job may connect to.
import { describe, expect, test } from "bun:test";
import { blockedRange, isIpLiteral, parseIPv4, parseIPv6 } from "../../../plugins/title-fetch/guard.ts";

describe("parsing addresses", () => {
  test("IPv4 dotted quads parse strictly", () => {
    expect(parseIPv4("127.0.0.1")).toBe(0x7f000001);
    expect(parseIPv4("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["127.1", "0x7f.0.0.1", "256.0.0.1", "01.2.3.4", "1.2.3.4.5", "", "a.b.c.d"]) {
      expect(parseIPv4(bad)).toBeNull();
    }
  });

  test("IPv6 parses with ::, brackets and a dotted IPv4 tail", () => {
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("[::1]")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6("2001:DB8::8:800:200C:417A")).toEqual([0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]);
    expect(parseIPv6("fe80::1%eth0")).toBeNull();
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("12345::")).toBeNull();
    expect(isIpLiteral("example.com")).toBe(false);
    expect(isIpLiteral("[::1]")).toBe(true);
  });
});

describe("blocked ranges", () => {
  const blocked: [string, RegExp][] = [
    ["127.0.0.1", /loopback/],
    ["127.255.255.254", /loopback/],
    ["0.0.0.0", /unspecified/],
    ["10.1.2.3", /private 10/],
    ["172.16.0.1", /private 172/],
    ["172.31.255.255", /private 172/],
    ["192.168.1.1", /private 192\.168/],
    ["100.64.0.1", /carrier-grade/],
    ["100.127.255.255", /carrier-grade/],
    ["169.254.169.254", /link-local.*metadata/],
    ["224.0.0.1", /multicast/],
    ["239.255.255.250", /multicast/],
    ["255.255.255.255", /broadcast/],
    ["240.0.0.1", /reserved/],
    ["192.0.2.10", /documentation/],
    ["198.18.5.5", /benchmarking/],
    ["::", /unspecified/],
    ["::1", /loopback ::1/],
    ["fe80::1", /link-local fe80/],
    ["febf:ffff::1", /link-local fe80/],
    ["fc00::1", /unique-local/],
    ["fd12:3456::1", /unique-local/],
    ["ff02::1", /multicast/],
    ["::ffff:127.0.0.1", /IPv4-mapped.*loopback/],
    ["::ffff:7f00:1", /IPv4-mapped.*loopback/],
    ["::ffff:169.254.169.254", /IPv4-mapped.*link-local/],
    ["::ffff:10.0.0.1", /IPv4-mapped.*private/],
    ["::127.0.0.1", /IPv4-compatible/],
    ["64:ff9b::10.0.0.1", /NAT64.*private/],
    ["2002:7f00:1::", /6to4.*loopback/],
    ["2001:db8::1", /documentation/],
    ["2001:0:4136:e378::1", /Teredo/],
    ["fec0::1", /site-local/],
    ["4000::1", /not global unicast/],
    ["not-an-ip", /not an IP/],
  ];
  for (const [ip, why] of blocked) {
    test(`${ip} is refused (${why.source})`, () => {
      expect(blockedRange(ip)).toMatch(why);
    });
  }

  test("public addresses pass", () => {
    for (const ip of [
      "8.8.8.8",
      "1.1.1.1",
      "93.184.216.34",
      "172.15.255.255",
      "172.32.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "169.253.0.1",
      "192.169.0.1",
      "223.255.255.255",
      "2606:4700:4700::1111",
      "2a00:1450:4001:80b::200e",
      "::ffff:8.8.8.8",
      "64:ff9b::8.8.8.8",
      "2002:808:808::1",
    ]) {
      expect([ip, blockedRange(ip)]).toEqual([ip, null]);
    }
  });
});
