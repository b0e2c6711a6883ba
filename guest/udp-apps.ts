import type { IcmpErrorInfo, UdpMessage, UdpSocket } from "../ip/index.js";
import type { SimTime } from "../sim/time.js";
import type { Ipv4 } from "../wire/addr.js";
import { type GuestApp, GuestError, type GuestHost, GuestSession, intOption } from "./app.js";
import { icmpErrorKind } from "./iputils.js";

/**
 * UDP traffic applications of a guest:
 *
 * - `UdpEchoSession`: a client of an RFC 862 echo server. Each datagram carries a 32-bit sequence
 *   number (big-endian) then bytes i & 0xff; an echo matching a sent sequence counts once (a second copy
 *   is a duplicate) and its RTT is the time since that datagram was sent. It paces and ends like ping:
 *   one datagram per `interval`, finished when every datagram was answered or errored, or after the last
 *   one: max(2 × the largest RTT, interval) if anything came back, else `timeout` (10 s).
 * - `UdpFlow`: a constant-rate sender (iperf -u style): `size` payload bytes every size × 8 / rate
 *   seconds (the rate counts UDP payload bits, as iperf's -b does) for `duration`. Payload: a 32-bit
 *   sequence number, the send time in µs (64-bit), then zeros.
 * - `UdpSink`: counts what arrives on a port (datagrams, bytes, per source).
 */

const SEQ_LEN = 4;

function u32be(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export interface UdpEchoOptions {
  /** Datagrams to send (4; 0 = until stopped). */
  readonly count?: number;
  readonly interval?: SimTime;
  /** Payload bytes (at least 4; default 56). */
  readonly size?: number;
  readonly timeout?: SimTime;
  /** Local port (default ephemeral). */
  readonly localPort?: number;
}

export interface UdpEchoResult {
  readonly host: string;
  readonly dst: Ipv4 | null;
  readonly port: number;
  readonly sent: number;
  readonly received: number;
  readonly duplicates: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly localErrors: number;
  readonly loss: number;
  readonly rttMin: SimTime | null;
  readonly rttAvg: SimTime | null;
  readonly rttMax: SimTime | null;
  readonly done: boolean;
  readonly error: string | null;
}

export class UdpEchoSession extends GuestSession<UdpEchoResult, UdpSocket> {
  readonly port: number;
  readonly count: number;
  readonly interval: SimTime;
  readonly size: number;
  readonly #linger: SimTime;
  readonly #localPort: number | undefined;
  readonly #sentAt = new Map<number, SimTime>();
  readonly #got = new Set<number>();
  readonly #errors: Record<string, number> = {};
  #sent = 0;
  #received = 0;
  #dups = 0;
  #nerrors = 0;
  #localErrors = 0;
  #rttSum = 0;
  #rttMin = Number.MAX_SAFE_INTEGER;
  #rttMax = 0;
  #exitScheduled = false;

  constructor(g: GuestHost, target: Ipv4 | string, port: number, opts: UdpEchoOptions = {}) {
    super(g, target);
    this.port = intOption(port, 7, "udp echo port");
    if (port > 65535) throw new GuestError(`udp echo port ${port} is larger than 65535`);
    this.count = intOption(opts.count, 4, "udp echo count", 0);
    this.interval = intOption(opts.interval, 1_000_000_000, "udp echo interval");
    this.size = intOption(opts.size, 56, "udp echo size", SEQ_LEN);
    this.#linger = intOption(opts.timeout, 10_000_000_000, "udp echo timeout");
    this.#localPort = opts.localPort;
    this.launch(target);
  }

  override result(): UdpEchoResult {
    const n = this.#received + this.#dups;
    return {
      host: this.host,
      dst: this.dst,
      port: this.port,
      sent: this.#sent,
      received: this.#received,
      duplicates: this.#dups,
      errors: { ...this.#errors },
      errorCount: this.#nerrors,
      localErrors: this.#localErrors,
      loss: this.#sent > 0 ? (this.#sent - this.#received) / this.#sent : 0,
      rttMin: n > 0 ? this.#rttMin : null,
      rttAvg: n > 0 ? Math.round(this.#rttSum / n) : null,
      rttMax: n > 0 ? this.#rttMax : null,
      done: this.done,
      error: this.error,
    };
  }

  protected override begin(ip: Ipv4): void {
    this.dst = ip;
    const sock = this.g.stack.udpBind(this.#localPort !== undefined ? { port: this.#localPort } : {});
    this.sock = sock;
    sock.onMessage((m) => this.#onMessage(m));
    sock.onError((e) => this.#onError(e));
    this.#send();
  }

  #send(): void {
    this.timer = null;
    const sock = this.sock;
    if (this.done || sock === null || this.dst === null) return;
    const seq = this.#sent + 1;
    const data = new Uint8Array(this.size);
    for (let i = SEQ_LEN; i < this.size; i++) data[i] = i & 0xff;
    new DataView(data.buffer).setUint32(0, seq >>> 0);
    const now = this.g.sim.now;
    if (!sock.sendTo(data, this.dst, this.port)) {
      if (this.#sent === 0) {
        this.fail("connect: Network is unreachable");
        return;
      }
      this.#localErrors++;
    }
    this.#sent++;
    this.#sentAt.set(seq >>> 0, now);
    if (this.count !== 0 && this.#sent >= this.count) this.#scheduleExit();
    else this.timer = this.g.sim.schedule(this.interval, () => this.#send());
  }

  #scheduleExit(): void {
    if (this.#exitScheduled) return;
    this.#exitScheduled = true;
    let wait = this.#linger;
    if (this.#received) wait = Math.max(2 * this.#rttMax, this.interval);
    this.timer = this.g.sim.schedule(wait, () => this.finish());
  }

  #onMessage(m: UdpMessage): void {
    if (this.done || m.from !== this.dst || m.fromPort !== this.port || m.data.length < SEQ_LEN) return;
    const seq = u32be(m.data, 0);
    const at = this.#sentAt.get(seq);
    if (at === undefined) return;
    const rtt = this.g.sim.now - at;
    this.#rttSum += rtt;
    if (rtt < this.#rttMin) this.#rttMin = rtt;
    if (rtt > this.#rttMax) this.#rttMax = rtt;
    if (this.#got.has(seq)) this.#dups++;
    else {
      this.#got.add(seq);
      this.#received++;
    }
    this.#checkExit();
  }

  #onError(e: IcmpErrorInfo): void {
    if (this.done || e.dst !== this.dst) return;
    if (e.dstPort !== undefined && e.dstPort !== this.port) return;
    this.#nerrors++;
    const kind = icmpErrorKind(e.type, e.code);
    this.#errors[kind] = (this.#errors[kind] ?? 0) + 1;
    this.#checkExit();
  }

  #checkExit(): void {
    if (this.count !== 0 && this.#received + this.#nerrors >= this.count) this.finish();
  }
}

// ---------------------------------------------------------------------------------------------

export interface UdpFlowOptions {
  /** Payload bits per second. */
  readonly rate: number;
  /** Payload bytes per datagram (at least 12: sequence number and timestamp). */
  readonly size: number;
  /** How long to send (ns). */
  readonly duration: SimTime;
  readonly localPort?: number;
}

export interface UdpFlowResult {
  readonly host: string;
  readonly dst: Ipv4 | null;
  readonly port: number;
  /** Datagrams handed to the stack. */
  readonly sent: number;
  /** Payload bytes of those. */
  readonly bytes: number;
  /** Datagrams the stack refused (no route, interface down, ARP queue full). */
  readonly failed: number;
  readonly done: boolean;
  readonly error: string | null;
}

const FLOW_HEADER = 12;

export class UdpFlow extends GuestSession<UdpFlowResult, UdpSocket> {
  readonly port: number;
  readonly rate: number;
  readonly size: number;
  readonly duration: SimTime;
  /** Time between datagrams (ns). */
  readonly gap: SimTime;
  readonly #localPort: number | undefined;
  /** The timestamp (µs) of the datagram being sent, written by `#fill`. */
  #us = 0;
  /**
   * Writes the 12-byte header (32-bit sequence number, send time in µs as 64 bits) into the packet
   * the stack builds; the rest of the payload stays zero. Made once: no closure per datagram. Returns
   * the payload's RFC 1071 sum (the six 16-bit words it wrote; the zeros add nothing), so the stack
   * need not read the payload back for the UDP checksum (see `UdpPayloadWriter`).
   */
  readonly #fill = (buf: Uint8Array, off: number): number => {
    const seq = this.#seq;
    const us = this.#us;
    const hi = Math.floor(us / 0x1_0000_0000);
    const lo = us >>> 0;
    buf[off] = seq >>> 24;
    buf[off + 1] = (seq >>> 16) & 0xff;
    buf[off + 2] = (seq >>> 8) & 0xff;
    buf[off + 3] = seq & 0xff;
    buf[off + 4] = hi >>> 24;
    buf[off + 5] = (hi >>> 16) & 0xff;
    buf[off + 6] = (hi >>> 8) & 0xff;
    buf[off + 7] = hi & 0xff;
    buf[off + 8] = lo >>> 24;
    buf[off + 9] = (lo >>> 16) & 0xff;
    buf[off + 10] = (lo >>> 8) & 0xff;
    buf[off + 11] = lo & 0xff;
    return (seq >>> 16) + (seq & 0xffff) + (hi >>> 16) + (hi & 0xffff) + (lo >>> 16) + (lo & 0xffff);
  };
  #start: SimTime = 0;
  #seq = 0;
  #sent = 0;
  #bytes = 0;
  #failed = 0;

  constructor(g: GuestHost, target: Ipv4 | string, port: number, opts: UdpFlowOptions) {
    super(g, target);
    this.port = intOption(port, 5001, "udp flow port");
    if (!(opts.rate > 0) || !Number.isFinite(opts.rate))
      throw new GuestError(`udp flow rate must be > 0 bit/s, got ${opts.rate}`);
    this.rate = opts.rate;
    this.size = intOption(opts.size, 1470, "udp flow size", FLOW_HEADER);
    this.duration = intOption(opts.duration, 0, "udp flow duration", 0);
    this.gap = Math.max(1, Math.round((this.size * 8 * 1e9) / this.rate));
    this.#localPort = opts.localPort;
    this.launch(target);
  }

  override result(): UdpFlowResult {
    return {
      host: this.host,
      dst: this.dst,
      port: this.port,
      sent: this.#sent,
      bytes: this.#bytes,
      failed: this.#failed,
      done: this.done,
      error: this.error,
    };
  }

  protected override begin(ip: Ipv4): void {
    this.dst = ip;
    this.sock = this.g.stack.udpBind(this.#localPort !== undefined ? { port: this.#localPort } : {});
    this.#start = this.g.sim.now;
    this.#tick();
  }

  #tick(): void {
    const sock = this.sock;
    if (this.done || sock === null || this.dst === null) return;
    const now = this.g.sim.now;
    if (now - this.#start >= this.duration) {
      this.finish();
      return;
    }
    // The payload is written in place into the packet the stack builds (no payload buffer to copy).
    this.#seq = (this.#seq + 1) >>> 0;
    this.#us = Math.floor(now / 1000);
    if (sock.sendFilled(this.size, this.#fill, this.dst, this.port)) {
      this.#sent++;
      this.#bytes += this.size;
    } else this.#failed++;
    const next = this.#start + this.#seq * this.gap;
    // Fire-and-forget event (no Timer per datagram); a stopped flow ignores its last tick.
    this.g.sim.atCall(Math.max(next, now), UdpFlow.#tickOf, this);
  }

  static readonly #tickOf = (f: UdpFlow): void => f.#tick();
}

// ---------------------------------------------------------------------------------------------

export interface UdpSinkSource {
  readonly address: Ipv4;
  readonly port: number;
  readonly received: number;
  readonly bytes: number;
}

export interface UdpSinkResult {
  readonly port: number;
  readonly received: number;
  readonly bytes: number;
  /** Senders in order of first arrival. */
  readonly from: readonly UdpSinkSource[];
  /** Arrival time of the first and last datagram (ns), null before any. */
  readonly first: SimTime | null;
  readonly last: SimTime | null;
}

interface SenderCount {
  address: Ipv4;
  port: number;
  received: number;
  bytes: number;
}

export class UdpSink implements GuestApp {
  readonly port: number;
  readonly #g: GuestHost;
  /** Senders keyed by address * 65536 + port (a number: no string built per datagram). */
  readonly #from = new Map<number, SenderCount>();
  /** The last sender seen (a flow's datagrams come in runs from one sender: no lookup for those). */
  #lastKey = -1;
  #lastSender: SenderCount | null = null;
  #sock: UdpSocket | null;
  #received = 0;
  #bytes = 0;
  #first: SimTime | null = null;
  #last: SimTime | null = null;

  constructor(g: GuestHost, port: number) {
    this.#g = g;
    this.port = intOption(port, 0, "udp sink port");
    if (port > 65535) throw new GuestError(`udp sink port ${port} is larger than 65535`);
    this.#sock = g.stack.udpBind({ port });
    this.#sock.onMessage((m) => this.#onMessage(m));
    g.track(this);
  }

  #onMessage(m: UdpMessage): void {
    const now = this.#g.sim.now;
    const len = m.length;
    this.#received++;
    this.#bytes += len;
    if (this.#first === null) this.#first = now;
    this.#last = now;
    const key = m.from * 65536 + m.fromPort;
    let s = this.#lastSender;
    if (key !== this.#lastKey || s === null) {
      s = this.#from.get(key) ?? null;
      if (s === null) {
        s = { address: m.from, port: m.fromPort, received: 0, bytes: 0 };
        this.#from.set(key, s);
      }
      this.#lastKey = key;
      this.#lastSender = s;
    }
    s.received++;
    s.bytes += len;
  }

  result(): UdpSinkResult {
    return {
      port: this.port,
      received: this.#received,
      bytes: this.#bytes,
      from: [...this.#from.values()].map((s) => ({ ...s })),
      first: this.#first,
      last: this.#last,
    };
  }

  get received(): number {
    return this.#received;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Stops listening (the counts stay). */
  close(): void {
    this.#sock?.close();
    this.#sock = null;
    this.#g.untrack(this);
  }

  halt(): void {
    this.close();
  }
}
