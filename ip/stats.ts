/**
 * Counters with Linux's /proc/net/snmp (and /proc/net/netstat IpExt) names, grouped as the kernel
 * prints them: `stats.ip.InReceives`, `stats.icmp.OutDestUnreachs`, `stats.udp.NoPorts`. Drops the
 * MIBs do not name (a frame for another MAC, an unknown EtherType, a martian source) are counted by
 * reason in `stats.drops`.
 */

export class IpMib {
  InReceives = 0;
  InHdrErrors = 0;
  InAddrErrors = 0;
  ForwDatagrams = 0;
  InUnknownProtos = 0;
  InDiscards = 0;
  InDelivers = 0;
  OutRequests = 0;
  OutDiscards = 0;
  OutNoRoutes = 0;
  ReasmTimeout = 0;
  ReasmReqds = 0;
  ReasmOKs = 0;
  ReasmFails = 0;
  FragOKs = 0;
  FragFails = 0;
  FragCreates = 0;
  // IpExt (/proc/net/netstat)
  InNoRoutes = 0;
  InTruncatedPkts = 0;
  InCsumErrors = 0;
  ReasmOverlaps = 0;
}

export class IcmpMib {
  InMsgs = 0;
  InErrors = 0;
  InCsumErrors = 0;
  InDestUnreachs = 0;
  InTimeExcds = 0;
  InParmProbs = 0;
  InSrcQuenchs = 0;
  InRedirects = 0;
  InEchos = 0;
  InEchoReps = 0;
  OutMsgs = 0;
  OutErrors = 0;
  OutRateLimitGlobal = 0;
  OutRateLimitHost = 0;
  OutDestUnreachs = 0;
  OutTimeExcds = 0;
  OutParmProbs = 0;
  OutEchos = 0;
  OutEchoReps = 0;
}

export class UdpMib {
  InDatagrams = 0;
  NoPorts = 0;
  InErrors = 0;
  OutDatagrams = 0;
  InCsumErrors = 0;
  IgnoredMulti = 0;
}

export interface IpStatsSnapshot {
  readonly ip: Readonly<Record<keyof IpMib, number>>;
  readonly icmp: Readonly<Record<keyof IcmpMib, number>>;
  readonly udp: Readonly<Record<keyof UdpMib, number>>;
  readonly drops: Readonly<Record<string, number>>;
}

/** Counters of one IpStack. */
export class IpStats {
  readonly ip = new IpMib();
  readonly icmp = new IcmpMib();
  readonly udp = new UdpMib();
  /** Drops by reason (insertion order), beyond what the MIBs count. */
  readonly drops = new Map<string, number>();

  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** A plain copy of every counter. */
  snapshot(): IpStatsSnapshot {
    return {
      ip: { ...this.ip },
      icmp: { ...this.icmp },
      udp: { ...this.udp },
      drops: Object.fromEntries(this.drops),
    };
  }
}

/** ICMP type → the In/Out counter suffix Linux uses (icmp_pointers / ICMP_MIB_*). */
export function countIcmpIn(m: IcmpMib, type: number): void {
  switch (type) {
    case 0:
      m.InEchoReps++;
      break;
    case 3:
      m.InDestUnreachs++;
      break;
    case 4:
      m.InSrcQuenchs++;
      break;
    case 5:
      m.InRedirects++;
      break;
    case 8:
      m.InEchos++;
      break;
    case 11:
      m.InTimeExcds++;
      break;
    case 12:
      m.InParmProbs++;
      break;
  }
}

export function countIcmpOut(m: IcmpMib, type: number): void {
  m.OutMsgs++;
  switch (type) {
    case 0:
      m.OutEchoReps++;
      break;
    case 3:
      m.OutDestUnreachs++;
      break;
    case 8:
      m.OutEchos++;
      break;
    case 11:
      m.OutTimeExcds++;
      break;
    case 12:
      m.OutParmProbs++;
      break;
  }
}
