/**
 * TCP connection tracking states, the transition table and default timeouts of Linux's
 * nf_conntrack_proto_tcp.c (reference: Linux 6.18). The table is indexed by direction (0 = original,
 * 1 = reply), by the segment's flag class and by the current state; the values below were written from
 * the kernel's documented transitions, not copied.
 *
 * What vnet leaves out: window tracking (`tcp_in_window`): every segment is taken as in-window, as with
 * `nf_conntrack_tcp_be_liberal=1`; the retransmission counter (`tcp_max_retrans`) and the
 * zero-window/unacknowledged-data timeouts that depend on it.
 */

/** Numbered like the kernel's `enum tcp_conntrack`. */
export const TcpCtState = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT: 4,
  CLOSE_WAIT: 5,
  LAST_ACK: 6,
  TIME_WAIT: 7,
  CLOSE: 8,
  SYN_SENT2: 9,
} as const;

export type TcpCtStateName =
  | "NONE"
  | "SYN_SENT"
  | "SYN_RECV"
  | "ESTABLISHED"
  | "FIN_WAIT"
  | "CLOSE_WAIT"
  | "LAST_ACK"
  | "TIME_WAIT"
  | "CLOSE"
  | "SYN_SENT2";

export const TCP_STATE_NAMES: readonly TcpCtStateName[] = [
  "NONE",
  "SYN_SENT",
  "SYN_RECV",
  "ESTABLISHED",
  "FIN_WAIT",
  "CLOSE_WAIT",
  "LAST_ACK",
  "TIME_WAIT",
  "CLOSE",
  "SYN_SENT2",
];

/** Table results that are not states: the segment is ignored (sIG) or invalid (sIV). */
export const TCP_IGNORE = 10;
export const TCP_INVALID = 11;

/** Flag classes, in the kernel's `get_conntrack_index` order of precedence: RST, SYN(+ACK), FIN, ACK. */
export const TcpIndex = { SYN: 0, SYNACK: 1, FIN: 2, ACK: 3, RST: 4, NONE: 5 } as const;

/** The class of a segment from its flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10). */
export function tcpIndex(flags: number): number {
  if (flags & 0x04) return TcpIndex.RST;
  if (flags & 0x02) return flags & 0x10 ? TcpIndex.SYNACK : TcpIndex.SYN;
  if (flags & 0x01) return TcpIndex.FIN;
  if (flags & 0x10) return TcpIndex.ACK;
  return TcpIndex.NONE;
}

/**
 * Flag combinations conntrack accepts (`tcp_valid_flags`, after masking ECE, CWR and PSH): SYN,
 * SYN+URG, SYN+ACK, RST, RST+ACK, FIN+ACK, FIN+ACK+URG, ACK, ACK+URG. Anything else is INVALID.
 */
export function tcpFlagsValid(flags: number): boolean {
  switch (flags & 0x3f & ~0x08) {
    case 0x02:
    case 0x22:
    case 0x12:
    case 0x04:
    case 0x14:
    case 0x11:
    case 0x31:
    case 0x10:
    case 0x30:
      return true;
    default:
      return false;
  }
}

const SS = TcpCtState.SYN_SENT;
const SR = TcpCtState.SYN_RECV;
const ES = TcpCtState.ESTABLISHED;
const FW = TcpCtState.FIN_WAIT;
const CW = TcpCtState.CLOSE_WAIT;
const LA = TcpCtState.LAST_ACK;
const TW = TcpCtState.TIME_WAIT;
const CL = TcpCtState.CLOSE;
const S2 = TcpCtState.SYN_SENT2;
const IG = TCP_IGNORE;
const IV = TCP_INVALID;

// Columns: current state NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK,
// TIME_WAIT, CLOSE, SYN_SENT2. Rows: SYN, SYN+ACK, FIN, ACK, RST, none.
const ORIGINAL: readonly (readonly number[])[] = [
  [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2], // SYN: new connection, retransmission, reopen from TW/CLOSE
  [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR], // SYN+ACK from the client: only in simultaneous open
  [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV], // FIN
  [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV], // ACK (NONE -> ES: picking up a connection mid-stream)
  [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL], // RST
  [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV], // no flags
];
const REPLY: readonly (readonly number[])[] = [
  [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2], // SYN: simultaneous open; TW -> SS, the server reopening
  [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR], // SYN+ACK: the standard open
  [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV], // FIN
  [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG], // ACK
  [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL], // RST
  [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV], // no flags
];

/** Flat table: `TCP_TRANSITIONS[(dir * 6 + index) * 10 + state]`. */
export const TCP_TRANSITIONS: Uint8Array = (() => {
  const t = new Uint8Array(2 * 6 * 10);
  for (let dir = 0; dir < 2; dir++) {
    const rows = dir === 0 ? ORIGINAL : REPLY;
    for (let i = 0; i < 6; i++) for (let s = 0; s < 10; s++) t[(dir * 6 + i) * 10 + s] = rows[i][s];
  }
  return t;
})();

/** The conntrack timeouts in seconds (Linux sysctl net.netfilter.nf_conntrack_*_timeout_* defaults). */
export interface ConntrackTimeouts {
  readonly tcpSynSent: number;
  readonly tcpSynRecv: number;
  readonly tcpEstablished: number;
  readonly tcpFinWait: number;
  readonly tcpCloseWait: number;
  readonly tcpLastAck: number;
  readonly tcpTimeWait: number;
  readonly tcpClose: number;
  /** For a connection picked up mid-stream that has not been answered yet (`UNACK`). */
  readonly tcpUnacknowledged: number;
  readonly udp: number;
  readonly udpStream: number;
  readonly icmp: number;
  readonly generic: number;
}

export const DEFAULT_TIMEOUTS: ConntrackTimeouts = {
  tcpSynSent: 120,
  tcpSynRecv: 60,
  tcpEstablished: 5 * 24 * 3600,
  tcpFinWait: 120,
  tcpCloseWait: 60,
  tcpLastAck: 30,
  tcpTimeWait: 120,
  tcpClose: 10,
  tcpUnacknowledged: 300,
  udp: 30,
  udpStream: 120,
  icmp: 30,
  generic: 600,
};

/** Per-state TCP timeouts in ns, indexed by `TcpCtState`. */
export function tcpTimeoutTable(t: ConntrackTimeouts): Float64Array {
  const sec = 1e9;
  const a = new Float64Array(10);
  a[TcpCtState.NONE] = t.tcpSynSent * sec;
  a[TcpCtState.SYN_SENT] = t.tcpSynSent * sec;
  a[TcpCtState.SYN_RECV] = t.tcpSynRecv * sec;
  a[TcpCtState.ESTABLISHED] = t.tcpEstablished * sec;
  a[TcpCtState.FIN_WAIT] = t.tcpFinWait * sec;
  a[TcpCtState.CLOSE_WAIT] = t.tcpCloseWait * sec;
  a[TcpCtState.LAST_ACK] = t.tcpLastAck * sec;
  a[TcpCtState.TIME_WAIT] = t.tcpTimeWait * sec;
  a[TcpCtState.CLOSE] = t.tcpClose * sec;
  a[TcpCtState.SYN_SENT2] = t.tcpSynSent * sec;
  return a;
}
