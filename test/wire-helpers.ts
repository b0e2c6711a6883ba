/**
 * Test helpers shared by the wire/ tests: a helper module, not a test (nothing here is wire/ code's
 * own logic, so nothing under test is checked against itself).
 */
import { expect } from "vitest";
import { readIpv4 } from "../wire/addr.js";
import { WireError } from "../wire/errors.js";
import { type PseudoHeader, pseudoV4 } from "../wire/l4-checksum.js";
import { corpusFrame } from "./shared.js";

/** Bytes from hex, whitespace ignored (fixtures are written as `tcpdump -xx` prints them). */
export const hex = (s: string): Uint8Array =>
  Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));

/** Big-endian 16-bit field at `o`. */
export const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** Runs `f`: the WireError reason it throws, or "ok"; any other throw propagates. */
export function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e.reason;
    throw e;
  }
  return "ok";
}

/** Runs `f`; passes if it returns or throws a WireError, fails on any other throw. */
export function parsesOrWireError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
}

/**
 * The IPv4 payload of an Ethernet frame (`at` = 14) or raw IP packet (`at` = 0), as the IP total
 * length delimits it, with its pseudo-header.
 */
export function v4(frame: Uint8Array, at = 14): { seg: Uint8Array; ip: PseudoHeader } {
  const ihl = (frame[at] & 15) * 4;
  return {
    seg: frame.subarray(at + ihl, at + u16(frame, at + 2)),
    ip: pseudoV4(readIpv4(frame, at + 12), readIpv4(frame, at + 16)),
  };
}

// Corpus fixtures, read at test time (empty when ../shared is absent: tests using them sit in a
// `describe.skipIf(!haveShared)`).
// tcpdump corpus dns_udp.pcap #1 (`tcpdump -xx`), Ethernet + IPv4 + UDP:
// 192.168.1.11.43966 > 209.87.249.18.53: [udp sum ok] (UDP length 64), checksum 0x7824 (-vv).
export const DNS_UDP_1: Uint8Array = corpusFrame("tcpdump/dns_udp.pcap", 1);
// tcpdump corpus dhcpv6-ia-na.pcap #1, Ethernet + IPv6 + UDP:
// fe80::201:2ff:fe03:405.546 > ff02::1:2.547: [udp sum ok], payload length 56, checksum 0x1123 (-v).
export const DHCPV6_1: Uint8Array = corpusFrame("tcpdump/dhcpv6-ia-na.pcap", 1);

/** Every cut of `msg` (its first 0, 1, … len-1 bytes) makes `parse` throw a WireError. */
export function expectEveryTruncationRejected(msg: Uint8Array, parse: (b: Uint8Array) => unknown): void {
  for (let n = 0; n < msg.length; n++) {
    expect(() => parse(msg.subarray(0, n)), `cut at ${n}`).toThrow(WireError);
  }
}
