import { allocPacket, type IpStack, l4ChecksumAt, sumAt } from "../ip/index.js";
import type { Rng, Simulator } from "../sim/index.js";
import { type Ipv4, isIcmpv4Error, parseIpv4Address, readIpv4 } from "../wire/index.js";
import {
  addrPortKey,
  endpointKey,
  type Mapping,
  type NatBehaviour,
  type NatBehaviourName,
  resolveBehaviour,
} from "./behaviour.js";
import { type ConntrackEntry, entryOf, formatEntry } from "./format.js";
import { isIcmpQuery, refillIcmpChecksum, rewriteAddress, rewriteEndpoint } from "./rewrite.js";
import { ConnTable, CtStatus, tupleHash } from "./table.js";
import {
  type ConntrackTimeouts,
  DEFAULT_TIMEOUTS,
  TCP_IGNORE,
  TCP_INVALID,
  TCP_TRANSITIONS,
  TcpCtState,
  TcpIndex,
  tcpFlagsValid,
  tcpIndex,
  tcpTimeoutTable,
} from "./tcp-state.js";

/** Bad configuration handed to the nat/ API (an unparsable address, an unknown behaviour, …). */
export class NatConfigError extends Error {
  override readonly name = "NatConfigError";
}

/** What the NAT needs of an interface: its name and primary address (ip/'s IpInterface has both). */
export interface NatInterface {
  readonly name: string;
  readonly primaryAddress: Ipv4 | null;
}

/** Netfilter's IPv4 hook points (the same names as ip/'s HookPoint). */
export type NatHookPoint = "prerouting" | "input" | "forward" | "output" | "postrouting";

/** Where a packet is (ip/'s HookContext satisfies it). */
export interface NatContext {
  readonly point: NatHookPoint;
  readonly inIf: NatInterface | null;
  readonly outIf: NatInterface | null;
}

/** An address with a prefix length (ip/'s Cidr has the same shape). */
export interface NatCidr {
  readonly address: Ipv4;
  readonly prefixLength: number;
}

export interface NatOptions {
  /** nf_conntrack_max: new connections beyond it are dropped (after an early drop attempt). Default 262144. */
  readonly maxEntries?: number;
  /** RFC 4787 behaviour (see behaviour.ts). Default "linux" (netfilter MASQUERADE). */
  readonly behaviour?: NatBehaviourName | NatBehaviour;
  /**
   * Hairpin NAT: a connection DNATed back out of the interface it came in on is also source-NATed, so
   * the answer returns through the NAT (default true). Linux needs an explicit rule for it; vnet does
   * what OpenWrt's "reflection" rules do (source = the router's address on that interface) in "linux"
   * mode, and what RFC 4787 REQ-9 asks (source = the sender's external mapping) in the explicit modes.
   */
  readonly hairpin?: boolean;
  /** nf_conntrack_checksum: verify TCP/UDP/ICMP checksums at prerouting; bad ones are INVALID. Default true. */
  readonly checksumCheck?: boolean;
  /**
   * Drop INVALID packets (`iptables -m conntrack --ctstate INVALID -j DROP`). Default false: like
   * Linux, an INVALID packet passes untranslated.
   */
  readonly dropInvalid?: boolean;
  /** Timeouts in seconds (Linux defaults: see tcp-state.ts DEFAULT_TIMEOUTS). */
  readonly timeouts?: Partial<ConntrackTimeouts>;
}

/** `iptables -t nat -A POSTROUTING -o OUT [-s SOURCE] -j MASQUERADE [--to-ports A-B]` (or SNAT with `to`). */
export interface SourceNatRule {
  /** The interface packets leave by (name or object). */
  readonly outIf: NatInterface | string;
  /** Only packets whose original source lies in this network. */
  readonly source?: NatCidr | string;
  /** SNAT --to-source: this address instead of the interface's primary address (MASQUERADE). */
  readonly to?: Ipv4 | string;
  /** --to-ports: translated ports (and ICMP ids) in this inclusive range. */
  readonly portRange?: readonly [number, number];
}

/** A port forward: `-A PREROUTING -p PROTO -d ADDRESS --dport PORT -j DNAT --to-destination TO:TOPORT`. */
export interface PortForwardRule {
  readonly proto: "tcp" | "udp";
  /** The external port. */
  readonly port: number;
  /** The external address; or give `iface` to use its primary address. */
  readonly address?: Ipv4 | string;
  readonly iface?: NatInterface | string;
  /** Only packets that arrive on this interface (default: any, so hairpin works). */
  readonly inIf?: NatInterface | string;
  /** The inside host and port (default: the same port). */
  readonly to: Ipv4 | string;
  readonly toPort?: number;
}

/** Counters. Conntrack ones are named after `conntrack -S`; drops by reason in `drops`. */
export class NatStats {
  /** Packets that matched an existing entry. */
  found = 0;
  /** Entries created. */
  new = 0;
  /** Packets conntrack found INVALID (bad checksum, bad TCP flags or transition, unknown ICMP type). */
  invalid = 0;
  /** TCP segments ignored by the state machine (sIG: possibly out of sync). */
  ignore = 0;
  /** Packets not tracked: fragments, ICMP errors about nothing we know. */
  untracked = 0;
  /** New entries refused: the reply tuple clashes, or no free port/id was found. */
  insertFailed = 0;
  /** New connections dropped because the table was full and nothing could be dropped early. */
  drop = 0;
  /** Unassured entries dropped to make room (early_drop). */
  earlyDrop = 0;
  /** Entries removed because they timed out. */
  expired = 0;
  /** Packets rewritten (each hook that changed a packet counts once). */
  translated = 0;
  /** Dropped packets by reason: malformed, table-full, clash, no-port, no-address, filtered, invalid, redirect. */
  readonly drops = new Map<string, number>();

  snapshot(): Record<string, number> {
    const o: Record<string, number> = {
      found: this.found,
      new: this.new,
      invalid: this.invalid,
      ignore: this.ignore,
      untracked: this.untracked,
      insert_failed: this.insertFailed,
      drop: this.drop,
      early_drop: this.earlyDrop,
      expired: this.expired,
      translated: this.translated,
    };
    for (const [k, v] of this.drops) o[`drop:${k}`] = v;
    return o;
  }
}

// #parse results.
const R_OK = 0;
const R_INVALID = 1;
const R_MALFORMED = 2;
const R_FRAGMENT = 3;
const R_RELATED = 4;

// #track verdicts.
const V_OK = 0;
const V_INVALID = 1;
const V_REOPEN = 2;

// #create results (nodes are >= 0).
const C_INVALID = -1;
const C_DROP = -2;

// Cache slots.
const CACHE_SLOTS = 4;
const C_EMPTY = -3;
const C_MISS = -2;
const C_UNTRACKED = -1;
/** Cache key "protocol" of an ICMP error (no real protocol key has every bit set). */
const RELATED_PK = 0xffff_ffff;

const NS = 1e9;
const UDP_STREAM_DELAY = 2 * NS;

interface SnatRule {
  readonly outIf: string;
  readonly source: NatCidr | null;
  readonly to: Ipv4 | null;
  readonly range: readonly [number, number] | null;
}

interface Forward {
  readonly proto: number;
  readonly port: number;
  readonly address: Ipv4 | null;
  readonly iface: NatInterface | string | null;
  readonly inIf: string | null;
  readonly to: Ipv4;
  readonly toPort: number;
}

function invertPk(pk: number): number {
  if ((pk & 0xff) !== 1) return pk;
  const type = (pk >>> 8) & 0xff;
  let inv = type;
  if (type === 8) inv = 0;
  else if (type === 0) inv = 8;
  else if (type >= 13 && type <= 18) inv = type & 1 ? type + 1 : type - 1;
  return (pk & 0xffff00ff) | (inv << 8);
}

function swapPorts(ports: number): number {
  return ((ports << 16) | (ports >>> 16)) >>> 0;
}

function protoIndex(proto: number): number {
  return proto === 6 ? 1 : proto === 17 ? 2 : proto === 1 ? 3 : 0;
}

/** A big-endian u32 (an address, a port pair, a sequence number): wire/'s address read, unbranded. */
const readU32: (b: Uint8Array, off: number) => number = readIpv4;

function prefixContains(c: NatCidr, a: number): boolean {
  if (c.prefixLength === 0) return true;
  const m = (0xffff_ffff << (32 - c.prefixLength)) >>> 0;
  return (a & m) >>> 0 === (c.address & m) >>> 0;
}

function ifaceName(x: NatInterface | string): string {
  return typeof x === "string" ? x : x.name;
}

/**
 * Connection tracking and NAT for one router (Linux netfilter nf_conntrack + nf_nat, iptables
 * MASQUERADE / SNAT / DNAT, is the reference). `translate(packet, ctx)` is the whole datapath as a
 * function of IPv4 packet bytes; `install(stack)` registers it on an ip/ IpStack's hooks.
 *
 * Per hook, as netfilter does: prerouting and output track the packet (state, timeouts) and apply
 * destination NAT (DNAT rules; undoing source NAT on replies); postrouting and input apply source NAT
 * (MASQUERADE/SNAT on new connections; undoing DNAT on replies). The source-NAT decision of a new
 * connection is taken at its first postrouting. ICMP errors about a tracked connection are "related"
 * and translated both outside and in the quoted header.
 */
export class Nat {
  readonly name: string;
  readonly stats = new NatStats();
  readonly #sim: Simulator;
  readonly #rng: Rng;
  readonly #table: ConnTable;
  readonly #behaviour: NatBehaviour | null;
  readonly #hairpin: boolean;
  readonly #checksumCheck: boolean;
  readonly #dropInvalid: boolean;
  readonly #tcpT: Float64Array;
  readonly #t: ConntrackTimeouts;
  readonly #snat: SnatRule[] = [];
  readonly #forwards: Forward[] = [];
  readonly #ifaceIds = new Map<string, number>();
  readonly #seenIfaces = new Map<string, NatInterface>();
  #host: IpStack | null = null;
  readonly #pre: { point: NatHookPoint; inIf: NatInterface | null; outIf: NatInterface | null } = {
    point: "prerouting",
    inIf: null,
    outIf: null,
  };
  readonly #post: { point: NatHookPoint; inIf: NatInterface | null; outIf: NatInterface | null } = {
    point: "postrouting",
    inIf: null,
    outIf: null,
  };
  #sweptAt = -1;
  /**
   * The entry created for the packet now between prerouting/output and postrouting/input: unconfirmed
   * (nf_conntrack_confirm runs when a packet leaves or is delivered). If that packet is dropped in
   * between (no route, TTL, too big with DF, not for us), the entry goes, as Linux discards an
   * unconfirmed conntrack: it is freed when the next unrelated packet arrives or the table is read.
   */
  #pending = -1;
  #pendingGen = 0;

  // Explicit modes: mappings.
  readonly #mappings: (Mapping | undefined)[] = [];
  readonly #freeMappingIds: number[] = [];
  /** endpointKey(proto, extAddr, extPort) -> mapping id. */
  readonly #owner = new Map<number, number>();
  /** endpointKey(proto, intAddr, intPort) -> (remote key -> mapping id). */
  readonly #groups = new Map<number, Map<number, number>>();

  // The packet being looked at.
  #ihl = 0;
  #total = 0;
  #proto = 0;
  #src = 0;
  #dst = 0;
  #pk = 0;
  #ports = 0;
  #tcpFlags = 0;

  // Hand-over from prerouting/output to postrouting/input (the kernel keeps the entry on the skb).
  readonly #cPk = new Uint32Array(CACHE_SLOTS);
  readonly #cSrc = new Uint32Array(CACHE_SLOTS);
  readonly #cDst = new Uint32Array(CACHE_SLOTS);
  readonly #cPorts = new Uint32Array(CACHE_SLOTS);
  readonly #cNode = new Int32Array(CACHE_SLOTS).fill(C_EMPTY);
  readonly #cGen = new Uint32Array(CACHE_SLOTS);
  readonly #cTime = new Float64Array(CACHE_SLOTS);
  #cHead = 0;

  /** The hook function registered by `install` (one bound function, no closure per packet). */
  readonly hook: (packet: Uint8Array, ctx: NatContext) => Uint8Array | null;

  constructor(sim: Simulator, name: string, opts: NatOptions = {}) {
    this.#sim = sim;
    this.name = name;
    this.#rng = sim.rng(`nat:${name}:port`);
    this.#table = new ConnTable(opts.maxEntries ?? 262144);
    this.#table.onFree = (e) => this.#onFree(e);
    this.#behaviour = resolveBehaviour(opts.behaviour, (m) => new NatConfigError(m));
    this.#hairpin = opts.hairpin ?? true;
    this.#checksumCheck = opts.checksumCheck ?? true;
    this.#dropInvalid = opts.dropInvalid ?? false;
    const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    for (const [k, v] of Object.entries(t)) {
      if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) {
        throw new NatConfigError(`timeout ${k} must be a positive number of seconds, got ${v}`);
      }
    }
    this.#t = t;
    this.#tcpT = tcpTimeoutTable(t);
    this.hook = (packet, ctx) => this.translate(packet, ctx);
  }

  /** The RFC 4787 behaviour in force (null = "linux"). */
  get behaviour(): NatBehaviour | null {
    return this.#behaviour;
  }

  /** nf_conntrack_max. */
  get maxEntries(): number {
    return this.#table.max;
  }

  // ----------------------------------------------------------------------------------------------
  // Configuration

  /** MASQUERADE (source = the outgoing interface's primary address) or, with `to`, SNAT. */
  masquerade(rule: SourceNatRule): void {
    let source: NatCidr | null = null;
    if (rule.source !== undefined)
      source = typeof rule.source === "string" ? parseCidrText(rule.source) : rule.source;
    const to = rule.to === undefined ? null : toAddr(rule.to, "SNAT address");
    let range: readonly [number, number] | null = null;
    if (rule.portRange) {
      const [a, b] = rule.portRange;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= 65535 && a <= b)) {
        throw new NatConfigError(`port range ${a}-${b} must be integers with 0 <= min <= max <= 65535`);
      }
      range = [a, b];
    }
    this.#snat.push({ outIf: ifaceName(rule.outIf), source, to, range });
    if (typeof rule.outIf !== "string") this.#seenIfaces.set(rule.outIf.name, rule.outIf);
  }

  /** SNAT to a fixed address: `masquerade` with `to`. */
  snat(rule: SourceNatRule & { readonly to: Ipv4 | string }): void {
    this.masquerade(rule);
  }

  /** A DNAT port forward (QEMU hostfwd / VirtualBox port forwarding). */
  portForward(rule: PortForwardRule): void {
    const proto = rule.proto === "tcp" ? 6 : rule.proto === "udp" ? 17 : -1;
    if (proto < 0)
      throw new NatConfigError(`port forward protocol must be "tcp" or "udp", got ${rule.proto}`);
    const checkPort = (p: number, what: string) => {
      if (!(Number.isInteger(p) && p >= 1 && p <= 65535))
        throw new NatConfigError(`${what} ${p} is not in 1..65535`);
    };
    checkPort(rule.port, "port forward port");
    const toPort = rule.toPort ?? rule.port;
    checkPort(toPort, "port forward target port");
    if (rule.address === undefined && rule.iface === undefined) {
      throw new NatConfigError("a port forward needs the external address or the interface that has it");
    }
    if (rule.iface !== undefined && typeof rule.iface !== "string")
      this.#seenIfaces.set(rule.iface.name, rule.iface);
    this.#forwards.push({
      proto,
      port: rule.port,
      address: rule.address === undefined ? null : toAddr(rule.address, "port forward address"),
      iface: rule.iface ?? null,
      inIf: rule.inIf === undefined ? null : ifaceName(rule.inIf),
      to: toAddr(rule.to, "port forward target"),
      toPort,
    });
  }

  /**
   * Registers the NAT on an ip/ stack at netfilter's priorities (DNAT -100 at prerouting and output,
   * SNAT 100 at postrouting and input). Returns a function that removes the hooks.
   */
  install(stack: IpStack): () => void {
    this.#host = stack;
    const removers = [
      stack.addHook("prerouting", this.hook, -100),
      stack.addHook("output", this.hook, -100),
      stack.addHook("postrouting", this.hook, 100),
      stack.addHook("input", this.hook, 100),
    ];
    return () => {
      for (const r of removers) r();
      if (this.#host === stack) this.#host = null;
    };
  }

  // ----------------------------------------------------------------------------------------------
  // Inspection

  /** Live entries in creation order (expired ones are reaped first), like `conntrack -L`. */
  entries(): ConntrackEntry[] {
    const now = this.#sim.now;
    this.#discardPending();
    this.#sweep(now);
    return this.#table.liveEntries(now).map((e) => entryOf(this.#table, e, now));
  }

  /** `conntrack -L` text: one line per entry, in creation order. */
  format(): string {
    return this.entries()
      .map((e) => `${formatEntry(e)}\n`)
      .join("");
  }

  /** The number of live entries (`conntrack -C`). */
  count(): number {
    this.#discardPending();
    this.#sweep(this.#sim.now);
    return this.#table.count;
  }

  /** `conntrack -F`: forgets every entry (and mapping). */
  flush(): void {
    for (let e = 0; e < this.#table.capacity; e++) this.#table.free(e);
  }

  /** Explicit modes: the current external mappings (internal endpoint -> external endpoint). */
  mappings(): {
    proto: "tcp" | "udp" | "icmp";
    internal: { address: Ipv4; port: number };
    external: { address: Ipv4; port: number };
    connections: number;
  }[] {
    const now = this.#sim.now;
    this.#sweep(now);
    const out = [];
    for (const m of this.#mappings) {
      if (!m || m.expires <= now) continue;
      out.push({
        proto: (["", "tcp", "udp", "icmp"] as const)[m.protoIdx] as "tcp" | "udp" | "icmp",
        internal: { address: m.intAddr as Ipv4, port: m.intPort },
        external: { address: m.extAddr as Ipv4, port: m.extPort },
        connections: m.refs,
      });
    }
    return out;
  }

  /** Bytes of typed arrays the flow table holds now (divide by `count()` for bytes per tracked flow). */
  tableBytes(): number {
    return this.#table.allocatedBytes();
  }

  /** Typed-array bytes held per tracked connection slot (the flow table's memory per flow). */
  static bytesPerEntry(): number {
    return ConnTable.bytesPerSlot();
  }

  // ----------------------------------------------------------------------------------------------
  // The datapath

  /**
   * Tracks and translates one whole IPv4 packet at hook point `ctx.point`. Returns the packet to go
   * on with (the same buffer when nothing changes, else a new one: the input is never written) or
   * null to drop it (counted in `stats`).
   */
  translate(packet: Uint8Array, ctx: NatContext): Uint8Array | null {
    const point = ctx.point;
    if (point === "forward") return packet;
    const dstPoint = point === "prerouting" || point === "output";
    const now = this.#sim.now;
    const r = this.#parse(packet, this.#checksumCheck && point === "prerouting");
    // A new packet (an ICMP error about the pending one aside): the pending one never left.
    if (dstPoint && this.#pending >= 0 && r !== R_RELATED) this.#discardPending();
    if (r !== R_OK) {
      if (r === R_RELATED) return this.#related(packet, dstPoint, now);
      if (r === R_MALFORMED) {
        this.#count("malformed");
        return null;
      }
      if (r === R_FRAGMENT) {
        this.stats.untracked++;
        return packet;
      }
      // Already found INVALID at prerouting/output: counted there.
      if (!dstPoint && this.#cacheTake(this.#pk, this.#src, this.#dst, this.#ports, now) === C_UNTRACKED) {
        return packet;
      }
      return this.#invalid(packet, dstPoint, now);
    }
    const t = this.#table;
    let n = C_MISS;
    if (!dstPoint) {
      n = this.#cacheTake(this.#pk, this.#src, this.#dst, this.#ports, now);
      if (n === C_UNTRACKED) return packet;
    }
    if (n < 0) {
      n = t.lookup(this.#pk, this.#src, this.#dst, this.#ports, now);
      if (n < 0 && !dstPoint) {
        // Already translated at prerouting/output without a hand-over: it matches the other tuple inverted.
        const m = t.lookup(invertPk(this.#pk), this.#dst, this.#src, swapPorts(this.#ports), now);
        if (m >= 0) n = m ^ 1;
      }
      if (n >= 0) {
        this.stats.found++;
        const v = this.#track(n >> 1, n & 1, packet, now);
        if (v === V_INVALID) return this.#invalid(packet, dstPoint, now);
        if (v === V_REOPEN) {
          t.free(n >> 1);
          n = -1;
        }
      }
      if (n < 0) {
        n = this.#create(packet, ctx, now);
        if (n === C_DROP) return null;
        if (n === C_INVALID) return this.#invalid(packet, dstPoint, now);
        if (dstPoint) {
          this.#pending = n >> 1;
          this.#pendingGen = t.gen[n >> 1];
        }
      }
    }
    const e = n >> 1;
    if (!dstPoint && e === this.#pending) this.#pending = -1; // confirmed: it leaves or is delivered
    if (!dstPoint && !(t.status[e] & CtStatus.SRC_NAT_DONE) && !this.#decideSource(e, ctx, now)) {
      // Like an unconfirmed conntrack whose packet is dropped: the entry goes with it.
      t.free(e);
      return null;
    }
    return this.#manip(packet, e, n & 1, dstPoint, now);
  }

  /** Prerouting then postrouting, as a router forwarding from `inIf` to `outIf` does (TTL aside). */
  translateForward(
    packet: Uint8Array,
    inIf: NatInterface | null,
    outIf: NatInterface | null,
  ): Uint8Array | null {
    const pre = this.#pre;
    pre.inIf = inIf;
    const a = this.translate(packet, pre);
    if (a === null) return null;
    const post = this.#post;
    post.inIf = inIf;
    post.outIf = outIf;
    return this.translate(a, post);
  }

  #invalid(packet: Uint8Array, dstPoint: boolean, now: number): Uint8Array | null {
    this.stats.invalid++;
    if (this.#dropInvalid) {
      this.#count("invalid");
      return null;
    }
    if (dstPoint) this.#cachePut(this.#pk, this.#src, this.#dst, this.#ports, C_UNTRACKED, 0, now);
    return packet;
  }

  #count(reason: string): void {
    const d = this.stats.drops;
    d.set(reason, (d.get(reason) ?? 0) + 1);
  }

  /** Reads the headers into the scratch fields. */
  #parse(p: Uint8Array, verify: boolean): number {
    const len = p.length;
    if (len < 20 || p[0] >> 4 !== 4) return R_MALFORMED;
    const ihl = (p[0] & 15) << 2;
    const total = (p[2] << 8) | p[3];
    if (ihl < 20 || total < ihl || total > len) return R_MALFORMED;
    const proto = p[9];
    const src = readU32(p, 12);
    const dst = readU32(p, 16);
    this.#ihl = ihl;
    this.#total = total;
    this.#proto = proto;
    this.#src = src;
    this.#dst = dst;
    this.#pk = proto;
    this.#ports = 0;
    if (((p[6] & 0x3f) | p[7]) !== 0) return R_FRAGMENT;
    const l4len = total - ihl;
    switch (proto) {
      case 6: {
        if (l4len < 20) return R_MALFORMED;
        const doff = (p[ihl + 12] >> 4) << 2;
        if (doff < 20 || doff > l4len) return R_MALFORMED;
        this.#ports = readU32(p, ihl);
        const flags = p[ihl + 13];
        this.#tcpFlags = flags;
        if (!tcpFlagsValid(flags)) return R_INVALID;
        // (No view per packet: ip/'s in-place sum, 0 when the checksum verifies.)
        if (verify && l4ChecksumAt(p, ihl, l4len, src as Ipv4, dst as Ipv4, 6) !== 0) return R_INVALID;
        return R_OK;
      }
      case 17: {
        if (l4len < 8) return R_MALFORMED;
        const ulen = (p[ihl + 4] << 8) | p[ihl + 5];
        if (ulen < 8 || ulen > l4len) return R_MALFORMED;
        this.#ports = readU32(p, ihl);
        if (
          verify &&
          ((p[ihl + 6] << 8) | p[ihl + 7]) !== 0 &&
          l4ChecksumAt(p, ihl, ulen, src as Ipv4, dst as Ipv4, 17) !== 0
        ) {
          return R_INVALID;
        }
        return R_OK;
      }
      case 1: {
        if (l4len < 8) return R_MALFORMED;
        const type = p[ihl];
        const code = p[ihl + 1];
        const error = isIcmpv4Error(type);
        // An error is keyed like its related handling so a verdict at prerouting carries to postrouting.
        this.#pk = error ? RELATED_PK : (1 | (type << 8) | (code << 16)) >>> 0;
        if (verify && sumAt(p, ihl, l4len) !== 0xffff) return R_INVALID;
        if (type > 18) return R_INVALID;
        if (error) return R_RELATED;
        if (!isIcmpQuery(type)) return R_INVALID;
        const id = (p[ihl + 4] << 8) | p[ihl + 5];
        this.#ports = ((id << 16) | id) >>> 0;
        return R_OK;
      }
      default:
        return R_OK;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Tracking (nf_conntrack_proto_*.c)

  #track(e: number, d: number, p: Uint8Array, now: number): number {
    const t = this.#table;
    let v = V_OK;
    switch (this.#proto) {
      case 6:
        v = this.#trackTcp(e, d, p, now);
        break;
      case 17: {
        const st = t.status[e];
        if (st & CtStatus.SEEN_REPLY) {
          // Traffic both ways: a stream once it is still active 2 s after it started (Linux >= 5.16).
          if (now > t.created[e] + UDP_STREAM_DELAY) {
            t.expires[e] = now + this.#t.udpStream * NS;
            t.status[e] = st | CtStatus.ASSURED;
          } else {
            t.expires[e] = now + this.#t.udp * NS;
          }
        } else {
          t.expires[e] = now + this.#t.udp * NS;
        }
        break;
      }
      case 1:
        t.expires[e] = now + this.#t.icmp * NS;
        break;
      default:
        t.expires[e] = now + this.#t.generic * NS;
    }
    if (v === V_OK && d === 1) t.status[e] |= CtStatus.SEEN_REPLY;
    if (this.#behaviour) this.#touchMappings(e);
    return v;
  }

  /** A mapping lives as long as its longest-lived entry. */
  #touchMappings(e: number): void {
    const t = this.#table;
    const x = t.expires[e];
    const a = t.mapping[e];
    if (a >= 0) {
      const m = this.#mappings[a]!;
      if (x > m.expires) m.expires = x;
    }
    const b = t.outMapping[e];
    if (b >= 0) {
      const m = this.#mappings[b]!;
      if (x > m.expires) m.expires = x;
    }
  }

  /** nf_conntrack_tcp_packet without window tracking (see tcp-state.ts). */
  #trackTcp(e: number, d: number, p: Uint8Array, now: number): number {
    const t = this.#table;
    const flags = this.#tcpFlags;
    const index = tcpIndex(flags);
    let old = t.tcpState[e];
    let ns = TCP_TRANSITIONS[(d * 6 + index) * 10 + old];
    let st = t.status[e];
    let ignore = ns === TCP_IGNORE;
    if (ns === TcpCtState.SYN_SENT && old >= TcpCtState.TIME_WAIT) {
      // A SYN on a closed or closing connection: reopen it (delete and track anew) when it was
      // closed on purpose or reset by this side; else treat it as an ignored segment.
      if (st & CtStatus.TCP_CLOSE_INIT || (t.lastDir[e] === d && t.lastIndex[e] === TcpIndex.RST))
        return V_REOPEN;
      ignore = true;
    }
    if (ignore) {
      const ihl = this.#ihl;
      if (
        index === TcpIndex.SYNACK &&
        t.lastIndex[e] === TcpIndex.SYN &&
        t.lastDir[e] !== d &&
        readU32(p, ihl + 8) === t.lastEnd[e]
      ) {
        // This SYN/ACK answers a SYN we ignored: client and server are in sync, we were not.
        old = TcpCtState.SYN_SENT;
        ns = TcpCtState.SYN_RECV;
      } else {
        t.lastIndex[e] = index;
        t.lastDir[e] = d;
        const doff = (p[ihl + 12] >> 4) << 2;
        const seg = this.#total - ihl - doff + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0);
        t.lastEnd[e] = (readU32(p, ihl + 4) + seg) >>> 0;
        this.stats.ignore++;
        return V_OK;
      }
    } else if (ns === TCP_INVALID) {
      return V_INVALID;
    } else if (ns === TcpCtState.SYN_SENT2) {
      st |= CtStatus.TCP_SIMOPEN;
    } else if (ns === TcpCtState.SYN_RECV) {
      if (d === 1 && index === TcpIndex.ACK && st & CtStatus.TCP_SIMOPEN) ns = TcpCtState.ESTABLISHED;
    }
    t.lastIndex[e] = index;
    t.lastDir[e] = d;
    t.tcpState[e] = ns;
    if (old !== ns && ns === TcpCtState.FIN_WAIT) st |= CtStatus.TCP_CLOSE_INIT;
    let timeout = index === TcpIndex.RST ? this.#tcpT[TcpCtState.CLOSE] : this.#tcpT[ns];
    if (!(st & CtStatus.SEEN_REPLY)) {
      t.status[e] = st;
      if (flags & 0x04) {
        // The only answer is a reset: no connection, forget the entry (after this packet).
        t.expires[e] = -1;
        return V_OK;
      }
      // A retransmitted SYN does not extend the entry (port reuse could keep it alive forever).
      if (index === TcpIndex.SYN && old === TcpCtState.SYN_SENT) return V_OK;
      // Picked up mid-stream and never answered: not the 5-day ESTABLISHED timeout.
      const unack = this.#t.tcpUnacknowledged * NS;
      if (ns === TcpCtState.ESTABLISHED && timeout > unack) timeout = unack;
    } else if (
      !(st & CtStatus.ASSURED) &&
      (old === TcpCtState.SYN_RECV || old === TcpCtState.ESTABLISHED) &&
      ns === TcpCtState.ESTABLISHED
    ) {
      st |= CtStatus.ASSURED;
    }
    t.status[e] = st;
    t.expires[e] = now + timeout;
    return V_OK;
  }

  /** A new connection (init_conntrack + the DNAT decision of prerouting). Returns its original node. */
  #create(p: Uint8Array, ctx: NatContext, now: number): number {
    const proto = this.#proto;
    const pk = this.#pk;
    if (proto === 6) {
      if (TCP_TRANSITIONS[tcpIndex(this.#tcpFlags) * 10] >= TCP_IGNORE) return C_INVALID;
    } else if (proto === 1) {
      const type = (pk >>> 8) & 0xff;
      if (type !== 8 && type !== 13 && type !== 15 && type !== 17) return C_INVALID;
    }
    const src = this.#src;
    const dst = this.#dst;
    const ports = this.#ports;
    const sport = ports >>> 16;
    const dport = ports & 0xffff;
    const t = this.#table;
    this.#ifaceId(ctx.inIf);
    this.#ifaceId(ctx.outIf);
    let rsrc = dst;
    let rsport = dport;
    let mapping = -1;
    if (ctx.point === "prerouting") {
      const fw = this.#matchForward(proto, dst, dport, ctx.inIf);
      if (fw) {
        rsrc = fw.to;
        rsport = fw.toPort;
      } else if (this.#behaviour && (proto === 6 || proto === 17)) {
        const owner = this.#owner.get(endpointKey(protoIndex(proto), dst, dport));
        const m = owner === undefined ? undefined : this.#mappings[owner];
        if (owner !== undefined && m !== undefined && m.expires > now) {
          if (!this.#filterAccepts(m, src, sport, ctx.inIf)) {
            this.#count("filtered");
            return C_DROP;
          }
          rsrc = m.intAddr;
          rsport = m.intPort;
          mapping = owner;
        }
      }
    }
    const rpk = invertPk(pk);
    const rports = proto === 1 ? ports : proto === 6 || proto === 17 ? ((rsport << 16) | sport) >>> 0 : 0;
    if (t.taken(rpk, rsrc, src, rports, -1, now)) {
      this.stats.insertFailed++;
      this.#count("clash");
      return C_DROP;
    }
    t.gcStep(now, 4);
    if (t.full) {
      this.#sweep(now);
      if (t.full) {
        if (t.earlyDrop(tupleHash(pk, src, dst, ports), now, (x) => !(t.status[x] & CtStatus.ASSURED))) {
          this.stats.earlyDrop++;
        } else {
          this.stats.drop++;
          this.#count("table-full");
          return C_DROP;
        }
      }
    }
    const e = t.alloc(pk, src, dst, ports, rpk, rsrc, src, rports, now);
    t.expires[e] = Number.POSITIVE_INFINITY;
    let st = t.status[e] | CtStatus.DST_NAT_DONE;
    if (rsrc !== dst || rsport !== dport) st |= CtStatus.DST_NAT;
    t.status[e] = st;
    t.inIf[e] = this.#ifaceId(ctx.inIf);
    if (mapping >= 0) {
      t.mapping[e] = mapping;
      this.#mappings[mapping]!.refs++;
    }
    this.stats.new++;
    this.#track(e, 0, p, now);
    return 2 * e;
  }

  /** Frees the pending (unconfirmed) entry: its packet never reached postrouting or input. */
  #discardPending(): void {
    const e = this.#pending;
    if (e < 0) return;
    this.#pending = -1;
    const t = this.#table;
    if (t.isLive(e) && t.gen[e] === this.#pendingGen) t.free(e);
  }

  #sweep(now: number): void {
    if (this.#sweptAt === now) return;
    this.#sweptAt = now;
    this.#table.sweep(now);
  }

  #onFree(e: number): void {
    const t = this.#table;
    if (t.expires[e] <= this.#sim.now && t.expires[e] >= 0) this.stats.expired++;
    this.#release(t.mapping[e]);
    this.#release(t.outMapping[e]);
  }

  #release(id: number): void {
    if (id >= 0) {
      const m = this.#mappings[id]!;
      if (--m.refs === 0) {
        this.#owner.delete(endpointKey(m.protoIdx, m.extAddr, m.extPort));
        const gk = endpointKey(m.protoIdx, m.intAddr, m.intPort);
        const g = this.#groups.get(gk);
        if (g && g.get(m.remoteKey) === id) {
          g.delete(m.remoteKey);
          if (g.size === 0) this.#groups.delete(gk);
        }
        this.#mappings[id] = undefined;
        this.#freeMappingIds.push(id);
      }
    }
  }

  #ifaceId(i: NatInterface | null): number {
    if (i === null) return 0;
    let id = this.#ifaceIds.get(i.name);
    if (id === undefined) {
      id = this.#ifaceIds.size + 1;
      this.#ifaceIds.set(i.name, id);
    }
    if (!this.#seenIfaces.has(i.name)) this.#seenIfaces.set(i.name, i);
    return id;
  }

  #resolveIface(x: NatInterface | string): NatInterface | null {
    if (typeof x !== "string") return x;
    return this.#host?.interface(x) ?? this.#seenIfaces.get(x) ?? null;
  }

  #forwardAddress(f: Forward): number | null {
    if (f.address !== null) return f.address;
    return f.iface === null ? null : (this.#resolveIface(f.iface)?.primaryAddress ?? null);
  }

  #matchForward(proto: number, dst: number, dport: number, inIf: NatInterface | null): Forward | null {
    for (const f of this.#forwards) {
      if (f.proto !== proto || f.port !== dport) continue;
      if (f.inIf !== null && inIf?.name !== f.inIf) continue;
      if (this.#forwardAddress(f) === dst) return f;
    }
    return null;
  }

  // ----------------------------------------------------------------------------------------------
  // Source NAT decision (nf_nat_setup_info at postrouting)

  #decideSource(e: number, ctx: NatContext, now: number): boolean {
    const t = this.#table;
    t.status[e] |= CtStatus.SRC_NAT_DONE;
    if (ctx.point !== "postrouting") return true;
    const outIf = ctx.outIf;
    const o = 2 * e;
    const osrc = t.nSrc[o];
    let rule: SnatRule | null = null;
    if (outIf !== null) {
      for (const r of this.#snat) {
        if (r.outIf === outIf.name && (r.source === null || prefixContains(r.source, osrc))) {
          rule = r;
          break;
        }
      }
    }
    let addr: number;
    let hairpin = false;
    if (rule !== null) {
      const a = rule.to ?? outIf?.primaryAddress ?? null;
      if (a === null) {
        this.#count("no-address");
        return false;
      }
      addr = a;
    } else if (
      this.#hairpin &&
      outIf !== null &&
      t.status[e] & CtStatus.DST_NAT &&
      t.inIf[e] !== 0 &&
      t.inIf[e] === this.#ifaceId(outIf)
    ) {
      const a = this.#behaviour ? t.nDst[o] : outIf.primaryAddress;
      if (a === null) return true;
      addr = a;
      hairpin = true;
    } else {
      return true;
    }
    const proto = t.nPk[o] & 0xff;
    const ok =
      this.#behaviour && (proto === 6 || proto === 17 || proto === 1)
        ? this.#snatMapped(e, addr, rule, hairpin, now)
        : this.#snatLinux(e, addr, rule?.range ?? null, now);
    if (!ok) {
      this.stats.insertFailed++;
      this.#count("no-port");
    }
    return ok;
  }

  /** The reply tuple's ports for a source port/id `port`. */
  #replyPorts(e: number, port: number): number {
    const t = this.#table;
    const r = 2 * e + 1;
    const proto = t.nPk[r] & 0xff;
    if (proto === 1) return ((port << 16) | port) >>> 0;
    if (proto === 6 || proto === 17) return (t.nPorts[r] & 0xffff0000) | port;
    return 0;
  }

  #used(e: number, addr: number, port: number, now: number): boolean {
    const t = this.#table;
    const r = 2 * e + 1;
    return t.taken(t.nPk[r], t.nSrc[r], addr, this.#replyPorts(e, port) >>> 0, e, now);
  }

  /** Sets the reply tuple to answer `addr:port` and the SRC_NAT bit. */
  #applySource(e: number, addr: number, port: number): void {
    const t = this.#table;
    const o = 2 * e;
    const r = o + 1;
    const proto = t.nPk[o] & 0xff;
    const hasPorts = proto === 6 || proto === 17 || proto === 1;
    const osport = hasPorts ? t.nPorts[o] >>> 16 : 0;
    if (addr === t.nSrc[o] && (!hasPorts || port === osport)) return;
    t.setTuple(r, t.nPk[r], t.nSrc[r], addr, this.#replyPorts(e, hasPorts ? port : 0) >>> 0);
    t.status[e] |= CtStatus.SRC_NAT;
  }

  /** The default port range for a source port (Linux nf_nat_l4proto_unique_tuple without --to-ports). */
  static #defaultRange(proto: number, port: number): readonly [number, number] {
    if (proto === 1) return [0, 65535];
    if (port < 512) return [1, 511];
    if (port < 1024) return [600, 1023];
    return [1024, 65535];
  }

  /** Linux's search: from a random offset, up to 128 tries, then ever smaller windows. -1 when none. */
  #uniquePort(min: number, max: number, free: (port: number) => boolean): number {
    const size = max - min + 1;
    let off = this.#rng.int(0, 0xffff);
    let attempts = Math.min(size, 128);
    for (;;) {
      for (let i = 0; i < attempts; i++) {
        const port = min + (off % size);
        if (free(port)) return port;
        off = (off + 1) & 0xffff;
      }
      if (attempts >= size || attempts < 16) return -1;
      attempts >>= 1;
      off = this.#rng.int(0, 0xffff);
    }
  }

  /** get_unique_tuple() for a source manip, "linux" mode. */
  #snatLinux(e: number, addr: number, range: readonly [number, number] | null, now: number): boolean {
    const t = this.#table;
    const o = 2 * e;
    const proto = t.nPk[o] & 0xff;
    const osrc = t.nSrc[o];
    const hasPorts = proto === 6 || proto === 17 || proto === 1;
    if (!hasPorts) {
      if (this.#used(e, addr, 0, now)) return false;
      this.#applySource(e, addr, 0);
      this.#linkBySource(e);
      return true;
    }
    const osport = t.nPorts[o] >>> 16;
    const inRange = (p: number) => range === null || (p >= range[0] && p <= range[1]);
    // 1) The original tuple, when it already fits (a locally generated packet from the NAT address).
    if (osrc === addr && inRange(osport)) {
      if (!this.#used(e, addr, osport, now)) return true;
    } else {
      // 1b) An existing mapping of the same internal endpoint (find_appropriate_src).
      for (let x = t.srcBuckets[t.sourceBucket(proto, osrc, osport)]; x >= 0; x = t.srcNext[x]) {
        const xo = 2 * x;
        const xr = xo + 1;
        if ((t.nPk[xo] & 0xff) !== proto || t.nSrc[xo] !== osrc || t.nPorts[xo] >>> 16 !== osport) continue;
        if (t.nDst[xr] !== addr) continue;
        const xp = t.nPorts[xr] & 0xffff;
        if (!inRange(xp)) continue;
        if (!this.#used(e, addr, xp, now)) {
          this.#applySource(e, addr, xp);
          this.#linkBySource(e);
          return true;
        }
        break;
      }
    }
    // 2-3) The new address with the original port, when that tuple is free.
    if (inRange(osport) && ((range !== null && range[0] === range[1]) || !this.#used(e, addr, osport, now))) {
      this.#applySource(e, addr, osport);
      this.#linkBySource(e);
      return true;
    }
    const [min, max] = range ?? Nat.#defaultRange(proto, osport);
    const port = this.#uniquePort(min, max, (p) => !this.#used(e, addr, p, now));
    if (port < 0) return false;
    this.#applySource(e, addr, port);
    this.#linkBySource(e);
    return true;
  }

  #linkBySource(e: number): void {
    if (!this.#behaviour && this.#table.status[e] & CtStatus.SRC_NAT) this.#table.linkSource(e);
  }

  #forwardReserved(proto: number, addr: number, port: number): boolean {
    for (const f of this.#forwards) {
      if (f.proto === proto && f.port === port && this.#forwardAddress(f) === addr) return true;
    }
    return false;
  }

  #remoteKey(remote: number, remotePort: number): number {
    const m = this.#behaviour!.mapping;
    return m === "endpoint-independent"
      ? 0
      : m === "address-dependent"
        ? remote
        : addrPortKey(remote, remotePort);
  }

  /** Source NAT through an RFC 4787 mapping (explicit modes). */
  #snatMapped(e: number, addr: number, rule: SnatRule | null, hairpin: boolean, now: number): boolean {
    const t = this.#table;
    const o = 2 * e;
    const r = o + 1;
    const proto = t.nPk[o] & 0xff;
    const pi = protoIndex(proto);
    const intAddr = t.nSrc[o];
    const intPort = t.nPorts[o] >>> 16;
    const remote = t.nSrc[r];
    const remotePort = proto === 1 ? 0 : t.nPorts[r] >>> 16;
    const gk = endpointKey(pi, intAddr, intPort);
    const rk = this.#remoteKey(remote, remotePort);
    let group = this.#groups.get(gk);
    const existing = group?.get(rk);
    let m = existing === undefined ? undefined : this.#mappings[existing];
    if (m && m.extAddr === addr) {
      if (this.#used(e, addr, m.extPort, now)) return false;
    } else {
      const range = rule?.range ?? null;
      const free = (p: number) =>
        !this.#owner.has(endpointKey(pi, addr, p)) &&
        !(proto !== 1 && this.#forwardReserved(proto, addr, p)) &&
        !this.#used(e, addr, p, now);
      let port = -1;
      if ((range === null || (intPort >= range[0] && intPort <= range[1])) && free(intPort)) port = intPort;
      else {
        const [min, max] = range ?? Nat.#defaultRange(proto, intPort);
        port = this.#uniquePort(min, max, free);
      }
      if (port < 0) return false;
      const id = this.#freeMappingIds.pop() ?? this.#mappings.length;
      m = {
        id,
        protoIdx: pi,
        intAddr,
        intPort,
        extAddr: addr,
        extPort: port,
        outIf: hairpin ? this.#outIfOfAddress(addr) : (rule?.outIf ?? null),
        remoteKey: rk,
        refs: 0,
        expires: 0,
        sentToAddr: new Set(),
        sentToEndpoint: new Set(),
      };
      this.#mappings[id] = m;
      this.#owner.set(endpointKey(pi, addr, port), id);
      if (!group) {
        group = new Map();
        this.#groups.set(gk, group);
      }
      group.set(rk, id);
    }
    t.outMapping[e] = m.id;
    m.refs++;
    if (t.expires[e] > m.expires) m.expires = t.expires[e];
    m.sentToAddr.add(remote);
    m.sentToEndpoint.add(addrPortKey(remote, remotePort));
    this.#applySource(e, addr, m.extPort);
    return true;
  }

  #outIfOfAddress(addr: number): string | null {
    for (const r of this.#snat) {
      const a = r.to ?? this.#resolveIface(r.outIf)?.primaryAddress ?? null;
      if (a === addr) return r.outIf;
    }
    return null;
  }

  /** RFC 4787 §5 filtering of an unsolicited inbound packet to mapping `m`. */
  #filterAccepts(m: Mapping, src: number, sport: number, inIf: NatInterface | null): boolean {
    const f = this.#behaviour!.filtering;
    if (f === "endpoint-independent") return true;
    let rAddr = src;
    let rPort = sport;
    if (inIf !== null && m.outIf !== null && inIf.name !== m.outIf) {
      // Hairpin (RFC 4787 REQ-9): the sender is inside; it is seen as its own external endpoint.
      rAddr = m.extAddr;
      const g = this.#groups.get(endpointKey(m.protoIdx, src, sport));
      const id = g?.get(this.#remoteKey(m.extAddr, m.extPort));
      const sm = id === undefined ? undefined : this.#mappings[id];
      if (sm) rPort = sm.extPort;
    }
    return f === "address-dependent"
      ? m.sentToAddr.has(rAddr)
      : m.sentToEndpoint.has(addrPortKey(rAddr, rPort));
  }

  // ----------------------------------------------------------------------------------------------
  // Rewriting

  #manip(p: Uint8Array, e: number, d: number, dstPoint: boolean, now: number): Uint8Array {
    const t = this.#table;
    let bit = dstPoint ? CtStatus.DST_NAT : CtStatus.SRC_NAT;
    if (d === 1) bit ^= CtStatus.SRC_NAT | CtStatus.DST_NAT;
    let out = p;
    let src = this.#src;
    let dst = this.#dst;
    let ports = this.#ports;
    if (t.status[e] & bit) {
      const o = 2 * e + (d ^ 1);
      const proto = this.#proto;
      const hasPorts = proto === 6 || proto === 17 || proto === 1;
      out = copyPacket(p);
      const ihl = this.#ihl;
      if (dstPoint) {
        const a = t.nSrc[o];
        const port = t.nPorts[o] >>> 16;
        rewriteEndpoint(out, 0, ihl, this.#total - ihl, false, a, hasPorts ? port : -1);
        dst = a;
        if (proto === 1) ports = ((port << 16) | port) >>> 0;
        else if (hasPorts) ports = ((ports & 0xffff0000) | port) >>> 0;
      } else {
        const a = t.nDst[o];
        const port = t.nPorts[o] & 0xffff;
        rewriteEndpoint(out, 0, ihl, this.#total - ihl, true, a, hasPorts ? port : -1);
        src = a;
      }
      this.stats.translated++;
    }
    if (dstPoint) this.#cachePut(this.#pk, src, dst, ports, 2 * e + d, t.gen[e], now);
    return out;
  }

  /** An ICMP error: find the connection it is about (nf_conntrack_inet_error) and translate both headers. */
  #related(p: Uint8Array, dstPoint: boolean, now: number): Uint8Array | null {
    const t = this.#table;
    const ihl = this.#ihl;
    const total = this.#total;
    const outerSrc = this.#src;
    const outerDst = this.#dst;
    let n = C_MISS;
    if (!dstPoint) {
      n = this.#cacheTake(RELATED_PK, outerSrc, outerDst, 0, now);
      if (n === C_UNTRACKED) return p;
    }
    const io = ihl + 8;
    const avail = total - io;
    if (avail < 20 || p[io] >> 4 !== 4) return this.#untracked(p, outerSrc, outerDst, dstPoint, now, true);
    const iihl = (p[io] & 15) << 2;
    if (iihl < 20 || avail < iihl + 8) return this.#untracked(p, outerSrc, outerDst, dstPoint, now, true);
    if ((((p[io + 6] & 0x1f) << 8) | p[io + 7]) !== 0)
      return this.#untracked(p, outerSrc, outerDst, dstPoint, now, false);
    const iproto = p[io + 9];
    const il4 = io + iihl;
    if (n < 0) {
      let ipk = iproto;
      let iports = 0;
      if (iproto === 6 || iproto === 17) iports = readU32(p, il4);
      else if (iproto === 1) {
        const type = p[il4];
        // An error about an error (or about an untracked ICMP type) relates to nothing.
        if (!isIcmpQuery(type)) return this.#untracked(p, outerSrc, outerDst, dstPoint, now, false);
        const id = (p[il4 + 4] << 8) | p[il4 + 5];
        ipk = (1 | (type << 8) | (p[il4 + 1] << 16)) >>> 0;
        iports = ((id << 16) | id) >>> 0;
      }
      // The quoted packet went the other way: look up its inverse.
      n = t.lookup(invertPk(ipk), readU32(p, io + 16), readU32(p, io + 12), swapPorts(iports), now);
      if (n < 0) return this.#untracked(p, outerSrc, outerDst, dstPoint, now, false);
      if (t.nDst[n] !== outerDst) {
        // The error is not addressed to the connection's endpoint: INVALID ("outer daddr mismatch").
        this.stats.invalid++;
        if (dstPoint) this.#cachePut(RELATED_PK, outerSrc, outerDst, 0, C_UNTRACKED, 0, now);
        return p;
      }
    }
    const e = n >> 1;
    const d = n & 1;
    const st = t.status[e];
    if (p[ihl] === 5 && st & (CtStatus.SRC_NAT | CtStatus.DST_NAT)) {
      // Redirects about translated connections are dropped (nf_nat_icmp_reply_translation).
      this.#count("redirect");
      return null;
    }
    let bit = dstPoint ? CtStatus.DST_NAT : CtStatus.SRC_NAT;
    if (d === 1) bit ^= CtStatus.SRC_NAT | CtStatus.DST_NAT;
    if (!(st & bit)) {
      if (dstPoint) this.#cachePut(RELATED_PK, outerSrc, outerDst, 0, n, t.gen[e], now);
      return p;
    }
    const o = 2 * e + (d ^ 1);
    const out = copyPacket(p);
    const hasPorts = iproto === 6 || iproto === 17 || iproto === 1;
    let newSrc = outerSrc;
    let newDst = outerDst;
    if (dstPoint) {
      // Inner: the quoted packet is the other direction, so it gets the source manip.
      rewriteEndpoint(out, io, il4, total - il4, true, t.nSrc[o], hasPorts ? t.nPorts[o] >>> 16 : -1);
      rewriteAddress(out, 0, false, t.nSrc[o]);
      newDst = t.nSrc[o];
    } else {
      rewriteEndpoint(out, io, il4, total - il4, false, t.nDst[o], hasPorts ? t.nPorts[o] & 0xffff : -1);
      rewriteAddress(out, 0, true, t.nDst[o]);
      newSrc = t.nDst[o];
    }
    refillIcmpChecksum(out, ihl, total);
    this.stats.translated++;
    if (dstPoint) this.#cachePut(RELATED_PK, newSrc, newDst, 0, n, t.gen[e], now);
    return out;
  }

  #untracked(
    p: Uint8Array,
    src: number,
    dst: number,
    dstPoint: boolean,
    now: number,
    invalid: boolean,
  ): Uint8Array | null {
    if (invalid) {
      this.stats.invalid++;
      if (this.#dropInvalid) {
        this.#count("invalid");
        return null;
      }
    } else {
      this.stats.untracked++;
    }
    if (dstPoint) this.#cachePut(RELATED_PK, src, dst, 0, C_UNTRACKED, 0, now);
    return p;
  }

  // ----------------------------------------------------------------------------------------------
  // Hand-over cache: what prerouting/output decided, for the same packet at postrouting/input.

  #cachePut(
    pk: number,
    src: number,
    dst: number,
    ports: number,
    node: number,
    gen: number,
    now: number,
  ): void {
    const i = (this.#cHead + 1) & (CACHE_SLOTS - 1);
    this.#cHead = i;
    this.#cPk[i] = pk;
    this.#cSrc[i] = src;
    this.#cDst[i] = dst;
    this.#cPorts[i] = ports;
    this.#cNode[i] = node;
    this.#cGen[i] = gen;
    this.#cTime[i] = now;
  }

  #cacheTake(pk: number, src: number, dst: number, ports: number, now: number): number {
    for (let k = 0; k < CACHE_SLOTS; k++) {
      const i = (this.#cHead - k) & (CACHE_SLOTS - 1);
      const node = this.#cNode[i];
      if (
        node !== C_EMPTY &&
        this.#cPorts[i] === ports &&
        this.#cSrc[i] === src &&
        this.#cDst[i] === dst &&
        this.#cPk[i] === pk
      ) {
        this.#cNode[i] = C_EMPTY;
        if (this.#cTime[i] !== now) return C_MISS;
        if (node < 0) return C_UNTRACKED;
        const e = node >> 1;
        if (this.#table.gen[e] !== this.#cGen[i] || !this.#table.isLive(e)) return C_MISS;
        return node;
      }
    }
    return C_MISS;
  }
}

function toAddr(a: Ipv4 | string, what: string): Ipv4 {
  if (typeof a === "number") return a;
  try {
    return parseIpv4Address(a.trim());
  } catch {
    throw new NatConfigError(`${what}: not an IPv4 address: ${JSON.stringify(a)}`);
  }
}

function parseCidrText(s: string): NatCidr {
  const m = /^\s*([0-9.]+)(?:\/(\d{1,2}))?\s*$/.exec(s);
  const len = m?.[2] === undefined ? 32 : Number(m[2]);
  if (!m || len > 32) throw new NatConfigError(`not an IPv4 network: ${JSON.stringify(s)}`);
  return { address: toAddr(m[1], "network"), prefixLength: len };
}

/**
 * A copy of `p` to rewrite (the input is never written). Up to 64 bytes V8 keeps a `slice()` on its
 * heap, which is cheapest; above that a new ArrayBuffer gets its own off-heap store (about 0.7 µs),
 * so the copy is carved from ip/'s packet slab instead (never reused: the copy is ours alone).
 */
function copyPacket(p: Uint8Array): Uint8Array {
  if (p.length <= 64) return p.slice();
  const out = allocPacket(p.length);
  out.set(p);
  return out;
}
