import type { IcmpEchoSocket, IcmpErrorInfo } from "../ip/index.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, type Ipv4 } from "../wire/addr.js";
import { GuestError, type GuestHost, GuestSession, intOption } from "./app.js";
import {
  formatFloatG,
  formatReplyTime,
  icmpErrorKind,
  icmpErrorText,
  msFixed3,
  RttStats,
} from "./iputils.js";

/**
 * `ping` as iputils does it (ping/ping.c, ping_common.c), on the guest's IPv4 stack, in simulated time:
 *
 * - one echo id per session; icmp_seq from 1; `size` (56) payload bytes, which the stack's echo socket
 *   fills as iputils does: a struct timeval of the send time (sim time; tv_sec and tv_usec as 64-bit
 *   little-endian, x86-64 Linux) when size >= 16, the rest byte i = i;
 * - one request per `interval` (1 s) until `count` (4; 0 = until stopped);
 * - RTT in whole microseconds from the timestamp carried back in the reply (as iputils with
 *   SO_TIMESTAMP), without a timestamp (size < 16) no RTT;
 * - it ends when every request was answered or errored, or after the last request: max(2 × the largest
 *   RTT, interval) when something came back, else `timeout` (10 s = iputils' linger, -W);
 * - duplicates, ICMP errors about our requests (counted by kind), and the statistics lines (loss with
 *   C's %g, "time" = last send - first send, rtt min/avg/max/mdev with iputils' integer arithmetic);
 * - a request the stack cannot route: the first one ends ping ("connect: Network is unreachable", as
 *   iputils' connect() fails); later ones count as sent and are reported as local errors.
 * Reply lines print addresses numerically (`ping -n`).
 */

export interface PingOptions {
  /** Requests to send (4; 0 = until stopped). */
  readonly count?: number;
  /** Between requests (1 s). */
  readonly interval?: SimTime;
  /** Payload bytes (56). */
  readonly size?: number;
  readonly ttl?: number;
  /** Linger after the last request when nothing came back (10 s, iputils -W). */
  readonly timeout?: SimTime;
  /** Set DF (Linux ping sockets default to PMTU "want": DF set). */
  readonly df?: boolean;
  /** Echo identifier (default: the stack's choice, from its random stream). */
  readonly id?: number;
}

export interface PingReplyInfo {
  readonly seq: number;
  readonly from: Ipv4;
  readonly ttl: number;
  /** ICMP bytes (payload + 8), as ping prints "64 bytes from". */
  readonly bytes: number;
  /** Round trip in ns (whole µs), null without a timestamp. */
  readonly rtt: SimTime | null;
  readonly duplicate: boolean;
  readonly time: SimTime;
}

export interface PingResult {
  /** The target as given. */
  readonly host: string;
  /** Its address, null if it did not resolve. */
  readonly dst: Ipv4 | null;
  readonly sent: number;
  readonly received: number;
  readonly duplicates: number;
  /** ICMP errors about our requests, by kind ("Destination Host Unreachable", …). */
  readonly errors: Readonly<Record<string, number>>;
  /** Sum of `errors` (iputils' "+N errors"). */
  readonly errorCount: number;
  /** Requests the stack refused to send after the first (no route, interface down). */
  readonly localErrors: number;
  /** (sent - received) / sent; 0 when nothing was sent. */
  readonly loss: number;
  /** ns, whole microseconds as iputils computes them; null without timed replies. */
  readonly rttMin: SimTime | null;
  readonly rttAvg: SimTime | null;
  readonly rttMax: SimTime | null;
  readonly rttMdev: SimTime | null;
  /** Last send - first send (iputils' "time"). */
  readonly time: SimTime;
  readonly done: boolean;
  /** Why ping could not run (unknown host, no route), else null. */
  readonly error: string | null;
}

const ICMP_HEADER = 8;
const TIMEVAL = 16;

/** The send time in µs carried by an iputils payload, or null when it is shorter than a timeval. */
export function pingPayloadTime(data: Uint8Array): number | null {
  if (data.byteLength < TIMEVAL) return null;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Number(dv.getBigUint64(0, true)) * 1e6 + Number(dv.getBigUint64(8, true));
}

export class PingSession extends GuestSession<PingResult, IcmpEchoSocket> {
  readonly count: number;
  readonly interval: SimTime;
  readonly size: number;
  readonly #opts: PingOptions;
  readonly #linger: SimTime;
  readonly #stats = new RttStats();
  readonly #received = new Set<number>();
  readonly #sentAt = new Map<number, SimTime>();
  readonly #errors: Record<string, number> = {};
  readonly #lines: string[] = [];
  readonly #replies: PingReplyInfo[] = [];
  #exitScheduled = false;
  #ntransmitted = 0;
  #nreceived = 0;
  #nrepeats = 0;
  #nerrors = 0;
  #localErrors = 0;
  #start: SimTime = 0;
  #lastSend: SimTime = 0;

  constructor(g: GuestHost, target: Ipv4 | string, opts: PingOptions = {}) {
    super(g, target);
    this.#opts = opts;
    this.count = intOption(opts.count, 4, "ping count", 0);
    this.interval = intOption(opts.interval, 1_000_000_000, "ping interval");
    this.size = intOption(opts.size, 56, "ping size", 0);
    if (this.size > 65507) throw new GuestError(`ping size ${this.size} is larger than 65507`);
    this.#linger = intOption(opts.timeout, 10_000_000_000, "ping timeout");
    this.launch(target);
  }

  /** Every reply in arrival order. */
  get replies(): readonly PingReplyInfo[] {
    return this.#replies;
  }

  override result(): PingResult {
    const total = this.#nreceived + this.#nrepeats;
    const timing = this.size >= TIMEVAL;
    const st = timing && this.#nreceived > 0 ? this.#stats.summary(total) : null;
    return {
      host: this.host,
      dst: this.dst,
      sent: this.#ntransmitted,
      received: this.#nreceived,
      duplicates: this.#nrepeats,
      errors: { ...this.#errors },
      errorCount: this.#nerrors,
      localErrors: this.#localErrors,
      loss: this.#ntransmitted > 0 ? (this.#ntransmitted - this.#nreceived) / this.#ntransmitted : 0,
      rttMin: st ? st.min * 1000 : null,
      rttAvg: st ? st.avg * 1000 : null,
      rttMax: st ? st.max * 1000 : null,
      rttMdev: st ? st.mdev * 1000 : null,
      time: this.#lastSend - this.#start,
      done: this.done,
      error: this.error,
    };
  }

  /** The statistics iputils prints at the end ("--- HOST ping statistics ---" and what follows). */
  format(): string {
    if (this.error !== null && this.dst === null) return `ping: ${this.error}\n`;
    if (this.error !== null && this.#ntransmitted === 0) return `ping: ${this.error}\n`;
    const tx = this.#ntransmitted;
    let s = `--- ${this.host} ping statistics ---\n`;
    s += `${tx} packets transmitted, ${this.#nreceived} received`;
    if (this.#nrepeats) s += `, +${this.#nrepeats} duplicates`;
    if (this.#nerrors) s += `, +${this.#nerrors} errors`;
    if (tx) {
      s += `, ${formatFloatG(((tx - this.#nreceived) * 100.0) / tx)}% packet loss`;
      const ns = this.#lastSend - this.#start;
      s += `, time ${Math.floor(ns / 1e9) * 1000 + Math.trunc(((ns % 1e9) + 500000) / 1000000)}ms`;
    }
    s += "\n";
    const st =
      this.size >= TIMEVAL && this.#nreceived ? this.#stats.summary(this.#nreceived + this.#nrepeats) : null;
    if (st)
      s += `rtt min/avg/max/mdev = ${msFixed3(st.min)}/${msFixed3(st.avg)}/${msFixed3(st.max)}/${msFixed3(st.mdev)} ms\n`;
    return s;
  }

  /** Everything ping prints: the PING line, one line per reply or error, a blank line, the statistics. */
  transcript(): string {
    if (this.dst === null) return this.format();
    let s = `PING ${this.host} (${formatIpv4(this.dst)}) ${this.size}(${this.size + ICMP_HEADER + 20}) bytes of data.\n`;
    for (const l of this.#lines) s += `${l}\n`;
    if (!this.done) return s;
    return `${s}\n${this.format()}`;
  }

  // -------------------------------------------------------------------------------------------

  protected override begin(ip: Ipv4): void {
    this.dst = ip;
    const sock = this.g.stack.icmpEchoSocket(this.#opts.id !== undefined ? { id: this.#opts.id } : {});
    this.sock = sock;
    sock.onReply((r) => this.#onReply(r));
    sock.onError((e) => this.#onError(e));
    this.#start = this.g.sim.now;
    this.#lastSend = this.#start;
    this.#send();
  }

  #send(): void {
    this.timer = null;
    const sock = this.sock;
    if (this.done || sock === null || this.dst === null) return;
    const now = this.g.sim.now;
    const seq = (this.#ntransmitted + 1) & 0xffff;
    this.#received.delete(seq);
    const ok = sock.send(this.dst, seq, {
      size: this.size,
      ...(this.#opts.ttl !== undefined ? { ttl: this.#opts.ttl } : {}),
      ...(this.#opts.df !== undefined ? { df: this.#opts.df } : {}),
    });
    if (!ok) {
      if (this.#ntransmitted === 0) {
        this.fail("connect: Network is unreachable");
        return;
      }
      this.#localErrors++;
      this.#lines.push("ping: sendmsg: Network is unreachable");
    }
    this.#ntransmitted++;
    this.#sentAt.set(seq, now);
    this.#lastSend = now;
    if (this.count !== 0 && this.#ntransmitted >= this.count) this.#scheduleExit();
    else this.timer = this.g.sim.schedule(this.interval, () => this.#send());
  }

  /** iputils `__schedule_exit`: decided once, when the last request has gone. */
  #scheduleExit(): void {
    if (this.#exitScheduled) return;
    this.#exitScheduled = true;
    let wait = this.#linger;
    if (this.#nreceived) {
      wait = 2 * this.#stats.tmax * 1000;
      if (wait < this.interval) wait = this.interval;
    }
    this.timer = this.g.sim.schedule(wait, () => this.finish());
  }

  #checkExit(): void {
    if (this.count !== 0 && this.#nreceived + this.#nerrors >= this.count) this.finish();
  }

  #onReply(r: { from: Ipv4; seq: number; ttl: number; size: number; data: Uint8Array }): void {
    if (this.done) return;
    const sentAt = this.#sentAt.get(r.seq);
    if (sentAt === undefined) return; // not a request of this session
    const now = this.g.sim.now;
    this.#nreceived++;
    let triptime: number | null = null;
    if (this.size >= TIMEVAL && r.data.byteLength >= TIMEVAL) {
      const sentUs = pingPayloadTime(r.data) ?? Math.floor(sentAt / 1000);
      triptime = Math.max(0, Math.floor(now / 1000) - sentUs);
      this.#stats.add(triptime);
    } else if (this.size >= TIMEVAL) {
      triptime = Math.max(0, Math.floor(now / 1000) - Math.floor(sentAt / 1000));
      this.#stats.add(triptime);
    }
    const dup = this.#received.has(r.seq);
    if (dup) {
      this.#nrepeats++;
      this.#nreceived--;
    } else this.#received.add(r.seq);
    const bytes = r.data.byteLength + ICMP_HEADER;
    this.#replies.push({
      seq: r.seq,
      from: r.from,
      ttl: r.ttl,
      bytes,
      rtt: triptime === null ? null : triptime * 1000,
      duplicate: dup,
      time: now,
    });
    let line = `${bytes} bytes from ${formatIpv4(r.from)}: icmp_seq=${r.seq} ttl=${r.ttl}`;
    if (bytes < this.size + ICMP_HEADER) line += " (truncated)";
    else if (triptime !== null) line += ` time=${formatReplyTime(triptime)} ms`;
    if (dup) line += " (DUP!)";
    if (r.from !== this.dst) line += " (DIFFERENT ADDRESS!)";
    this.#lines.push(line);
    this.#checkExit();
  }

  #onError(e: IcmpErrorInfo): void {
    if (this.done || e.dst !== this.dst) return;
    if (e.seq !== undefined && !this.#sentAt.has(e.seq)) return;
    this.#nerrors++;
    const kind = icmpErrorKind(e.type, e.code);
    this.#errors[kind] = (this.#errors[kind] ?? 0) + 1;
    this.#lines.push(
      `From ${formatIpv4(e.from)} icmp_seq=${e.seq ?? 0} ${icmpErrorText(e.type, e.code, e.mtu ?? 0)}`,
    );
    this.#checkExit();
  }
}
