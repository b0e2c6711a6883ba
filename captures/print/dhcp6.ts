/**
 * DHCPv6 printer, in the format of tcpdump 4.99.3's print-dhcp6.c (`-n` always on): what follows
 * `IP6 a.b > c.d: ` for ports 546/547, `dhcp6 solicit` and at `-v` the parenthesised options.
 *
 * `b.byteLength` plays tcpdump's `snapend`. Unchecked reads throw `Truncated`, which ends the whole
 * packet with ` [|dhcp6]` (tcpdump's longjmp). tcpdump's explicit checks (`goto trunc`) print
 * ` [|dhcp6]` and only leave the option list being printed: the enclosing option still closes
 * with `)`. A relay message's inner message is printed against the option's own end.
 */
import { formatIpv6Bytes } from "../../wire/addr.js";
import { need, type PrintContext, u8, u16, u32 } from "./context.js";
import { HEX2, PRINTABLE, printName } from "./domain.js";

export const Dhcp6MessageType = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
  RELAY_FORW: 12,
  RELAY_REPL: 13,
  LEASEQUERY: 14,
  LEASEQUERY_REPLY: 15,
} as const;

const MESSAGE_NAMES: readonly string[] = [
  "",
  "solicit",
  "advertise",
  "request",
  "confirm",
  "renew",
  "rebind",
  "reply",
  "release",
  "decline",
  "reconfigure",
  "inf-req",
  "relay-fwd",
  "relay-reply",
  "leasequery",
  "leasequery-reply",
];

export const Dhcp6Option = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IA_TA: 4,
  IA_ADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  RELAY_MSG: 9,
  AUTH: 11,
  UNICAST: 12,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  USER_CLASS: 15,
  VENDOR_CLASS: 16,
  VENDOR_OPTS: 17,
  INTERFACE_ID: 18,
  RECONF_MSG: 19,
  RECONF_ACCEPT: 20,
  SIP_SERVER_D: 21,
  SIP_SERVER_A: 22,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  IA_PD: 25,
  IA_PD_PREFIX: 26,
  NIS_SERVERS: 27,
  NISP_SERVERS: 28,
  NIS_NAME: 29,
  NISP_NAME: 30,
  SNTP_SERVERS: 31,
  LIFETIME: 32,
  BCMCS_SERVER_D: 33,
  BCMCS_SERVER_A: 34,
  GEOCONF_CIVIC: 36,
  REMOTE_ID: 37,
  SUBSCRIBER_ID: 38,
  CLIENT_FQDN: 39,
  PANA_AGENT: 40,
  NEW_POSIX_TIMEZONE: 41,
  NEW_TZDB_TIMEZONE: 42,
  ERO: 43,
  LQ_QUERY: 44,
  CLIENT_DATA: 45,
  CLT_TIME: 46,
  LQ_RELAY_DATA: 47,
  LQ_CLIENT_LINK: 48,
  NTP_SERVER: 56,
  AFTR_NAME: 64,
  MUDURL: 112,
} as const;

const OPTION_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [1, "client-ID"],
  [2, "server-ID"],
  [3, "IA_NA"],
  [4, "IA_TA"],
  [5, "IA_ADDR"],
  [6, "option-request"],
  [7, "preference"],
  [8, "elapsed-time"],
  [9, "relay-message"],
  [11, "authentication"],
  [12, "server-unicast"],
  [13, "status-code"],
  [14, "rapid-commit"],
  [15, "user-class"],
  [16, "vendor-class"],
  [17, "vendor-specific-info"],
  [18, "interface-ID"],
  [19, "reconfigure-message"],
  [20, "reconfigure-accept"],
  [21, "SIP-servers-domain"],
  [22, "SIP-servers-address"],
  [23, "DNS-server"],
  [24, "DNS-search-list"],
  [25, "IA_PD"],
  [26, "IA_PD-prefix"],
  [31, "SNTP-servers"],
  [32, "lifetime"],
  [27, "NIS-server"],
  [28, "NIS+-server"],
  [29, "NIS-domain-name"],
  [30, "NIS+-domain-name"],
  [33, "BCMCS-domain-name"],
  [34, "BCMCS-server"],
  [36, "Geoconf-Civic"],
  [37, "Remote-ID"],
  [38, "Subscriber-ID"],
  [39, "Client-FQDN"],
  [40, "PANA-agent"],
  [41, "POSIX-timezone"],
  [42, "POSIX-tz-database"],
  [43, "Echo-request-option"],
  [44, "Lease-query"],
  [45, "LQ-client-data"],
  [46, "Clt-time"],
  [47, "LQ-relay-data"],
  [48, "LQ-client-link"],
  [56, "NTP-server"],
  [64, "AFTR-Name"],
  [112, "MUD-URL"],
]);

const STATUS_NAMES: readonly string[] = [
  "Success",
  "UnspecFail",
  "NoAddrsAvail",
  "NoBinding",
  "NotOnLink",
  "UseMulticast",
  "NoPrefixAvail",
  "UnknownQueryType",
  "MalformedQuery",
  "NotConfigured",
  "NotAllowed",
];

function optionName(t: number): string {
  return OPTION_NAMES.get(t) ?? `opt_${t}`;
}

function ipv6(b: Uint8Array, off: number): string {
  need(b, off, 16);
  return formatIpv6Bytes(b, off);
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += HEX2[u8(b, i)];
  return s;
}

/** nd_printjnp: up to `n` characters, stopping at a NUL; unchecked reads. */
function printUntilNul(p: PrintContext, b: Uint8Array, off: number, n: number): void {
  let s = "";
  try {
    while (n > 0) {
      const c = u8(b, off);
      if (c === 0) break;
      s += PRINTABLE[c];
      n--;
      off++;
    }
  } finally {
    if (s.length > 0) p.out(s);
  }
}

/** dhcp6opt_print: the options in [cp, ep). */
function printOptions(p: PrintContext, b: Uint8Array, cp: number, ep: number): void {
  while (cp < ep) {
    if (ep < cp + 4 || cp + 4 > b.byteLength) {
      p.trunc();
      return;
    }
    const optlen = u16(b, cp + 2);
    if (ep < cp + 4 + optlen) {
      p.trunc();
      return;
    }
    const type = u16(b, cp);
    p.out(` (${optionName(type)}`);
    if (cp + 4 + optlen > b.byteLength) {
      p.trunc();
      return;
    }
    const tp = cp + 4;
    const oend = tp + optlen;
    switch (type) {
      case Dhcp6Option.CLIENTID:
      case Dhcp6Option.SERVERID: {
        if (optlen < 2) {
          p.out(" ?)");
          break;
        }
        const duid = u16(b, tp);
        if (duid === 1) {
          if (optlen >= 8)
            p.out(` hwaddr/time type ${u16(b, tp + 2)} time ${u32(b, tp + 4)} ${hex(b, tp + 8, oend)})`);
          else p.out(" ?)");
        } else if (duid === 2) {
          if (optlen >= 10) p.out(` vid ${hex(b, tp + 2, tp + 10)})`);
          else p.out(" ?)");
        } else if (duid === 3) {
          if (optlen >= 4) p.out(` hwaddr type ${u16(b, tp + 2)} ${hex(b, tp + 4, oend)})`);
          else p.out(" ?)");
        } else p.out(` type ${duid})`);
        break;
      }
      case Dhcp6Option.IA_ADDR:
        if (optlen < 24) {
          p.out(" ?)");
          break;
        }
        p.out(` ${ipv6(b, tp)} pltime:${u32(b, tp + 16)} vltime:${u32(b, tp + 20)}`);
        if (optlen > 24) printOptions(p, b, tp + 24, oend);
        p.out(")");
        break;
      case Dhcp6Option.ORO:
      case Dhcp6Option.ERO: {
        if (optlen % 2) {
          p.out(" ?)");
          break;
        }
        let s = "";
        for (let i = 0; i < optlen; i += 2) s += ` ${optionName(u16(b, tp + i))}`;
        p.out(`${s})`);
        break;
      }
      case Dhcp6Option.PREFERENCE:
        if (optlen !== 1) p.out(" ?)");
        else p.out(` ${u8(b, tp)})`);
        break;
      case Dhcp6Option.ELAPSED_TIME:
        if (optlen !== 2) p.out(" ?)");
        else p.out(` ${u16(b, tp)})`);
        break;
      case Dhcp6Option.RELAY_MSG:
        p.out(" (");
        printMessage(p, b.subarray(tp, Math.min(oend, b.byteLength)), optlen);
        p.out(")");
        break;
      case Dhcp6Option.AUTH:
        printAuth(p, b, tp, optlen);
        break;
      case Dhcp6Option.RAPID_COMMIT:
      case Dhcp6Option.RECONF_ACCEPT:
        p.out(")");
        break;
      case Dhcp6Option.INTERFACE_ID:
      case Dhcp6Option.SUBSCRIBER_ID:
        p.out(` ${hex(b, tp, tp + Math.min(optlen, 10))}...)`);
        break;
      case Dhcp6Option.RECONF_MSG: {
        if (optlen !== 1) {
          p.out(" ?)");
          break;
        }
        const t = u8(b, tp);
        if (t === Dhcp6MessageType.RENEW) p.out(" for renew)");
        else if (t === Dhcp6MessageType.INFORMATION_REQUEST) p.out(" for inf-req)");
        else p.out(` for ???(${HEX2[t]}))`);
        break;
      }
      case Dhcp6Option.SIP_SERVER_A:
      case Dhcp6Option.DNS_SERVERS:
      case Dhcp6Option.SNTP_SERVERS:
      case Dhcp6Option.NIS_SERVERS:
      case Dhcp6Option.NISP_SERVERS:
      case Dhcp6Option.BCMCS_SERVER_A:
      case Dhcp6Option.PANA_AGENT:
      case Dhcp6Option.LQ_CLIENT_LINK: {
        if (optlen % 16) {
          p.out(" ?)");
          break;
        }
        let s = "";
        for (let i = 0; i < optlen; i += 16) s += ` ${ipv6(b, tp + i)}`;
        p.out(`${s})`);
        break;
      }
      case Dhcp6Option.SIP_SERVER_D:
      case Dhcp6Option.DOMAIN_LIST: {
        let t = tp;
        while (t < oend) {
          p.out(" ");
          // tcpdump passes the option's end as the compression base.
          t = printName(p, b, t, oend);
          if (t < 0) {
            p.trunc();
            return;
          }
        }
        p.out(")");
        break;
      }
      case Dhcp6Option.STATUS_CODE: {
        if (optlen < 2) {
          p.out(" ?)");
          break;
        }
        const code = u16(b, tp);
        p.out(` ${code > 255 ? "INVALID code" : (STATUS_NAMES[code] ?? `code${code}`)})`);
        break;
      }
      case Dhcp6Option.IA_NA:
      case Dhcp6Option.IA_PD:
        if (optlen < 12) {
          p.out(" ?)");
          break;
        }
        p.out(` IAID:${u32(b, tp)} T1:${u32(b, tp + 4)} T2:${u32(b, tp + 8)}`);
        if (optlen > 12) printOptions(p, b, tp + 12, oend);
        p.out(")");
        break;
      case Dhcp6Option.IA_TA:
        if (optlen < 4) {
          p.out(" ?)");
          break;
        }
        p.out(` IAID:${u32(b, tp)}`);
        if (optlen > 4) printOptions(p, b, tp + 4, oend);
        p.out(")");
        break;
      case Dhcp6Option.IA_PD_PREFIX:
        if (optlen < 25) {
          p.out(" ?)");
          break;
        }
        p.out(` ${ipv6(b, tp + 9)}/${u8(b, tp + 8)} pltime:${u32(b, tp)} vltime:${u32(b, tp + 4)}`);
        if (optlen > 25) printOptions(p, b, tp + 25, oend);
        p.out(")");
        break;
      case Dhcp6Option.LIFETIME:
      case Dhcp6Option.CLT_TIME:
        if (optlen !== 4) p.out(" ?)");
        else p.out(` ${u32(b, tp)})`);
        break;
      case Dhcp6Option.REMOTE_ID:
        if (optlen < 4) {
          p.out(" ?)");
          break;
        }
        p.out(` ${u32(b, tp)} ${hex(b, tp + 4, tp + Math.min(optlen, 14))}...)`);
        break;
      case Dhcp6Option.LQ_QUERY: {
        if (optlen < 17) {
          p.out(" ?)");
          break;
        }
        const qt = u8(b, tp);
        p.out(qt === 1 ? " by-address" : qt === 2 ? " by-clientID" : ` type_${qt}`);
        p.out(` ${ipv6(b, tp + 1)}`);
        if (optlen > 17) printOptions(p, b, tp + 17, oend);
        p.out(")");
        break;
      }
      case Dhcp6Option.CLIENT_DATA:
        if (optlen > 0) printOptions(p, b, tp, oend);
        p.out(")");
        break;
      case Dhcp6Option.LQ_RELAY_DATA:
        if (optlen < 16) {
          p.out(" ?)");
          break;
        }
        p.out(` ${ipv6(b, tp)} ${hex(b, tp + 16, tp + Math.min(optlen, 26))}...)`);
        break;
      case Dhcp6Option.NTP_SERVER: {
        if (optlen < 4) {
          p.out(" ?)");
          break;
        }
        let t = tp;
        while (t < oend - 4) {
          const code = u16(b, t);
          const len = u16(b, t + 2);
          t += 4;
          if (t + len > oend) {
            p.trunc();
            return;
          }
          p.out(` subopt:${code}`);
          if (code === 1 || code === 2) {
            p.out(len !== 16 ? " ?" : ` ${ipv6(b, t)}`);
          } else if (code === 3) {
            p.out(" ");
            if (printName(p, b, t, t + len) < 0) {
              p.trunc();
              return;
            }
          } else p.out(" ?");
          t += len;
        }
        p.out(")");
        break;
      }
      case Dhcp6Option.AFTR_NAME: {
        if (optlen < 3) {
          p.out(" ?)");
          break;
        }
        let t = tp;
        let remain = optlen;
        p.out(" ");
        while (remain > 0 && u8(b, t) !== 0) {
          const labelLen = b[t++];
          if (labelLen < remain - 1) {
            printUntilNul(p, b, t, labelLen);
            t += labelLen;
            remain -= labelLen + 1;
            if (u8(b, t)) p.out(".");
          } else {
            p.out(" ?");
            break;
          }
        }
        p.out(")");
        break;
      }
      case Dhcp6Option.NEW_POSIX_TIMEZONE:
      case Dhcp6Option.NEW_TZDB_TIMEZONE:
      case Dhcp6Option.MUDURL:
        if (optlen < 5) {
          p.out(" ?)");
          break;
        }
        p.out(" ");
        printUntilNul(p, b, tp, optlen);
        p.out(")");
        break;
      default:
        p.out(")");
    }
    cp = oend;
  }
}

function printAuth(p: PrintContext, b: Uint8Array, tp: number, optlen: number): void {
  if (optlen < 11) {
    p.out(" ?)");
    return;
  }
  const proto = u8(b, tp);
  const alg = u8(b, tp + 1);
  const rdm = u8(b, tp + 2);
  let s = proto === 2 ? " proto: delayed" : proto === 3 ? " proto: reconfigure" : ` proto: ${proto}`;
  s += alg === 1 ? ", alg: HMAC-MD5" : `, alg: ${alg}`;
  s += rdm === 0 ? ", RDM: mono" : `, RDM: ${rdm}`;
  s += ", RD:";
  tp += 3;
  for (let i = 0; i < 4; i++, tp += 2) s += ` ${u16(b, tp).toString(16).padStart(4, "0")}`;
  p.out(s);
  const infoLen = optlen - 11;
  if (proto === 2) {
    if (infoLen !== 0) {
      if (infoLen < 20) p.out(" ??");
      else {
        const realmLen = infoLen - 20;
        let r = "";
        if (realmLen > 0) r += ", realm: ";
        for (let i = 0; i < realmLen; i++, tp++) r += HEX2[u8(b, tp)];
        r += `, key ID: ${u32(b, tp).toString(16).padStart(8, "0")}, HMAC-MD5:`;
        tp += 4;
        for (let i = 0; i < 4; i++, tp += 4) r += ` ${u32(b, tp).toString(16).padStart(8, "0")}`;
        p.out(r);
      }
    }
  } else if (proto === 3) {
    if (infoLen !== 17) p.out(" ??");
    else {
      const t = u8(b, tp);
      let r = t === 1 ? " reconfig-key" : t === 2 ? " type: HMAC-MD5" : " type: ??";
      tp++;
      r += " value:";
      for (let i = 0; i < 4; i++, tp += 4) r += ` ${u32(b, tp).toString(16).padStart(8, "0")}`;
      p.out(r);
    }
  } else p.out(" ??");
  p.out(")");
}

/** dhcp6_print, against `b` as the capture end (a relay message passes its option's bytes). */
function printMessage(p: PrintContext, b: Uint8Array, length: number): void {
  p.out("dhcp6");
  const ep = Math.min(b.byteLength, length);
  if (b.byteLength < 4) {
    p.trunc();
    return;
  }
  const type = b[0];
  const name = MESSAGE_NAMES[type] || `msgtype-${type}`;
  if (p.opts.verbose === 0) {
    p.out(` ${name}`);
    return;
  }
  p.out(` ${name} (`);
  if (type !== Dhcp6MessageType.RELAY_FORW && type !== Dhcp6MessageType.RELAY_REPL) {
    p.out(`xid=${(u32(b, 0) & 0xffffff).toString(16)}`);
    printOptions(p, b, 4, ep);
  } else {
    p.out(`linkaddr=${ipv6(b, 2)}`);
    p.out(` peeraddr=${ipv6(b, 18)}`);
    printOptions(p, b, 34, ep);
  }
  p.out(")");
}

/**
 * Prints a DHCPv6 message as tcpdump 4.99.3 does after the UDP addresses: `b` is the captured UDP
 * payload, `length` the payload length the UDP header claims. Sets `p.proto = "dhcp6"`; tcpdump's
 * checked truncations print ` [|dhcp6]` and go on, unchecked reads throw `Truncated` (tcpdump's
 * longjmp) for the packet's top level to print ` [|dhcp6]`.
 */
export function printDhcp6(p: PrintContext, b: Uint8Array, length: number): void {
  p.proto = "dhcp6";
  printMessage(p, b, length);
}
