/**
 * Field-by-field comparison of DHCP server replies (issue 6): each reply frame is read into an ordered
 * list of named fields — Ethernet and IP addresses, IP TOS/TTL/DF/ID, UDP ports and length, every BOOTP
 * field, the option codes in order and each option's value, the message size and its padding — and two
 * frames are compared field by field, so a difference names the field and both values. Checksums are
 * not compared as values: both sides' are verified (a wrong one is a difference of its own).
 *
 * Masked (the oracle draws them at random or from the clock), per step: see `Mask`.
 */
import { formatIpv4, formatMac, readIpv4, readMac } from "../../wire/addr.js";
import { checksumOk } from "../../wire/checksum.js";
import { dhcpFieldText, DhcpOptionCode as O } from "../../wire/dhcp.js";
import { l4ChecksumOk, pseudoV4 } from "../../wire/l4-checksum.js";
import { replyMessage } from "./dhcp-plan.js";
import type { FrameDifference, PortComparison } from "./result.js";

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const IP_OPTIONS = new Set<number>([
  O.SubnetMask,
  O.Router,
  O.DnsServers,
  O.BroadcastAddress,
  O.ServerId,
  O.RequestedIp,
]);
const U32_OPTIONS = new Set<number>([O.LeaseTime, O.RenewalTime, O.RebindingTime]);
const TEXT_OPTIONS = new Set<number>([O.Hostname, O.DomainName, O.Message]);

function optionValue(code: number, d: Uint8Array): string {
  if (IP_OPTIONS.has(code) && d.byteLength % 4 === 0 && d.byteLength > 0) {
    const out: string[] = [];
    for (let i = 0; i < d.byteLength; i += 4) out.push(formatIpv4(readIpv4(d, i)));
    return out.join(",");
  }
  if (U32_OPTIONS.has(code) && d.byteLength === 4) return String(u32(d, 0));
  if (TEXT_OPTIONS.has(code)) return JSON.stringify(new TextDecoder().decode(d));
  if (code === O.MessageType && d.byteLength === 1) return String(d[0]);
  return `0x${hex(d)}`;
}

/** A reply frame's fields, in wire order, as `[name, value]`. */
export function replyFields(frame: Uint8Array): [string, string][] {
  const f: [string, string][] = [];
  f.push(["eth.dst", formatMac(readMac(frame, 0))], ["eth.src", formatMac(readMac(frame, 6))]);
  const ipStart = 14;
  const ihl = (frame[ipStart] & 0x0f) * 4;
  const ipHdr = frame.subarray(ipStart, ipStart + ihl);
  const flagsFrag = u16(frame, ipStart + 6);
  f.push(
    ["ip.ihl", String(ihl)],
    ["ip.tos", `0x${frame[ipStart + 1].toString(16).padStart(2, "0")}`],
    ["ip.len", String(u16(frame, ipStart + 2))],
    ["ip.id", String(u16(frame, ipStart + 4))],
    ["ip.df", (flagsFrag & 0x4000) !== 0 ? "DF" : "-"],
    ["ip.frag", String(flagsFrag & 0x1fff)],
    ["ip.ttl", String(frame[ipStart + 8])],
    ["ip.csum", checksumOk(ipHdr) ? "ok" : "BAD"],
    ["ip.src", formatIpv4(readIpv4(frame, ipStart + 12))],
    ["ip.dst", formatIpv4(readIpv4(frame, ipStart + 16))],
  );
  const udp = ipStart + ihl;
  const udpLen = u16(frame, udp + 4);
  const seg = frame.subarray(udp, udp + udpLen);
  const csum = u16(frame, udp + 6);
  f.push(
    ["udp.sport", String(u16(frame, udp))],
    ["udp.dport", String(u16(frame, udp + 2))],
    ["udp.len", String(udpLen)],
    [
      "udp.csum",
      csum === 0
        ? "none"
        : l4ChecksumOk(pseudoV4(readIpv4(frame, ipStart + 12), readIpv4(frame, ipStart + 16)), 17, seg)
          ? "ok"
          : "BAD",
    ],
  );
  // Ethernet padding after the IP packet (a veth does not pad; vnet neither).
  f.push(["eth.trailer", String(frame.byteLength - ipStart - u16(frame, ipStart + 2))]);
  const m = replyMessage(frame);
  f.push(
    ["bootp.op", String(m.op)],
    ["bootp.htype", String(m.htype)],
    ["bootp.hlen", String(m.hlen)],
    ["bootp.hops", String(m.hops)],
    ["bootp.xid", `0x${m.xid.toString(16)}`],
    ["bootp.secs", String(m.secs)],
    ["bootp.flags", `0x${m.flags.toString(16).padStart(4, "0")}`],
    ["bootp.ciaddr", formatIpv4(m.ciaddr)],
    ["bootp.yiaddr", formatIpv4(m.yiaddr)],
    ["bootp.siaddr", formatIpv4(m.siaddr)],
    ["bootp.giaddr", formatIpv4(m.giaddr)],
    ["bootp.chaddr", hex(m.chaddr)],
    ["bootp.sname", JSON.stringify(dhcpFieldText(m.sname))],
    ["bootp.file", JSON.stringify(dhcpFieldText(m.file))],
  );
  f.push(["options.order", m.options.map((o) => o.code).join(" ")]);
  for (const o of m.options) {
    if (o.code === O.End || o.code === O.Pad) continue;
    f.push([`option.${o.code}`, optionValue(o.code, o.data)]);
  }
  f.push(["dhcp.size", String(udpLen - 8)]);
  f.push([
    "dhcp.trailing",
    m.trailing.every((x) => x === 0) ? `${m.trailing.byteLength} zero bytes` : `0x${hex(m.trailing)}`,
  ]);
  return f;
}

/** A frame that is not a DHCP reply (ARP, ICMP…): a one-line summary of what it is. */
export function otherSummary(frame: Uint8Array): string {
  const type = u16(frame, 12);
  if (type === 0x0806) {
    const op = u16(frame, 20);
    return `ARP ${op === 1 ? "who-has" : op === 2 ? "reply" : `op ${op}`} ${formatIpv4(readIpv4(frame, 38))} tell ${formatIpv4(readIpv4(frame, 28))} (eth ${formatMac(readMac(frame, 6))} > ${formatMac(readMac(frame, 0))})`;
  }
  if (type === 0x0800) {
    const proto = frame[23];
    const what = proto === 1 ? `ICMP type ${frame[14 + (frame[14] & 0x0f) * 4]}` : `proto ${proto}`;
    return `IPv4 ${formatIpv4(readIpv4(frame, 26))} > ${formatIpv4(readIpv4(frame, 30))} ${what}`;
  }
  return `ethertype 0x${type.toString(16)}`;
}

/** What a step masks: field names (exact) whose values the oracle draws at random or from the clock. */
export type Mask = ReadonlySet<string>;

/** The fields in which two replies differ, after masking. */
export function fieldDifferences(
  oracle: Uint8Array,
  vnet: Uint8Array,
  mask: Mask,
): { field: string; oracle: string | undefined; vnet: string | undefined }[] {
  const o = new Map(replyFields(oracle));
  const v = new Map(replyFields(vnet));
  const names = [...new Set([...o.keys(), ...v.keys()])];
  const out: { field: string; oracle: string | undefined; vnet: string | undefined }[] = [];
  for (const n of names) {
    if (mask.has(n)) continue;
    if (o.get(n) !== v.get(n)) out.push({ field: n, oracle: o.get(n), vnet: v.get(n) });
  }
  return out;
}

/** One step of a scenario on both sides. */
export interface StepPair {
  readonly label: string;
  readonly oracle: readonly Uint8Array[];
  readonly vnet: readonly Uint8Array[];
  readonly mask?: Mask;
}

/** A difference before classification. */
export interface DhcpDifferenceSite {
  readonly step: string;
  /** A field name, or "frame" for a reply present on one side only. */
  readonly field: string;
  readonly oracle: string | undefined;
  readonly vnet: string | undefined;
}

/**
 * Compares a port's steps: replies paired in order within each step; each differing field is one
 * difference (`classify` gives the documented id that explains it, if any); a reply on one side only is
 * one "missing in vnet" / "extra in vnet" difference. `equal` counts replies equal after masking.
 */
export function compareSteps(
  port: string,
  steps: readonly StepPair[],
  classify: (d: DhcpDifferenceSite) => string | undefined,
  describe: (f: Uint8Array) => string = (f) =>
    replyFields(f)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  fieldwise = true,
): PortComparison {
  const differences: FrameDifference[] = [];
  let index = 0;
  let equal = 0;
  let oracleCount = 0;
  let vnetCount = 0;
  const add = (d: DhcpDifferenceSite, what: string): void => {
    const known = classify(d);
    differences.push({ index, what, ...(known !== undefined && { known }) });
  };
  for (const s of steps) {
    oracleCount += s.oracle.length;
    vnetCount += s.vnet.length;
    const n = Math.max(s.oracle.length, s.vnet.length);
    for (let i = 0; i < n; i++, index++) {
      const o = s.oracle[i];
      const v = s.vnet[i];
      if (o === undefined && v !== undefined) {
        const text = describe(v);
        add(
          { step: s.label, field: "frame", oracle: undefined, vnet: text },
          `${s.label}: extra in vnet: ${text}`,
        );
        continue;
      }
      if (v === undefined && o !== undefined) {
        const text = describe(o);
        add(
          { step: s.label, field: "frame", oracle: text, vnet: undefined },
          `${s.label}: missing in vnet: ${text}`,
        );
        continue;
      }
      if (o === undefined || v === undefined) continue;
      if (!fieldwise) {
        const a = describe(o);
        const b = describe(v);
        if (a === b) equal++;
        else
          add({ step: s.label, field: "frame", oracle: a, vnet: b }, `${s.label}: oracle ${a} | vnet ${b}`);
        continue;
      }
      const diffs = fieldDifferences(o, v, s.mask ?? new Set());
      if (diffs.length === 0) equal++;
      for (const d of diffs)
        add(
          { step: s.label, field: d.field, oracle: d.oracle, vnet: d.vnet },
          `${s.label}: ${d.field}: oracle ${d.oracle ?? "(absent)"}, vnet ${d.vnet ?? "(absent)"}`,
        );
    }
  }
  return { port, oracle: oracleCount, vnet: vnetCount, equal, differences };
}
