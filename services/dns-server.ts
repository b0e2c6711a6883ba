import type { IpInterface, IpStack, UdpMessage, UdpSocket } from "../ip/index.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, type Ipv4 } from "../wire/addr.js";
import {
  DnsClass,
  DnsOpcode,
  DnsRcode,
  type DnsRecord,
  type DnsRepr,
  DnsType,
  decodeDns,
  dnsRecord,
  dnsResponse,
  ednsInfo,
  encodeDns,
  optRecord,
} from "../wire/dns.js";
import { WireError } from "../wire/errors.js";
import { canonicalName, ServiceConfigError, toIpv4 } from "./config.js";
import type { DhcpServer } from "./dhcp-server.js";

/**
 * A DNS forwarder for a virtual network, modelled on dnsmasq as libvirt runs it (`domain-needed`,
 * `expand-hosts`, `local=/<domain>/`, `dhcp-authoritative`):
 *
 * - Local names answer authoritatively (AA, TTL 0 = dnsmasq's `local-ttl`): static records (a plain
 *   name also answers as `name.<domain>`) and the host names of bound DHCP leases (`name` and
 *   `name.<domain>`), A and PTR. Another type for a known name is NOERROR with no answer (NODATA).
 * - Unknown names inside the local domain, and plain names without a dot (A/AAAA, `domain-needed`),
 *   are NXDOMAIN.
 * - Everything else goes to `upstream` (UDP 53) with a new random id; the reply is relayed with the
 *   client's id restored. A forwarded query without a reply is forgotten after 10 s (dnsmasq TIMEOUT).
 * - No upstream: REFUSED, as dnsmasq answers when it has nowhere to forward (`setup_reply`); with
 *   `authoritative` (the simulated internet's DNS) NXDOMAIN with AA instead.
 * - Queries with QR set or shorter than a header are ignored; queries that do not parse are counted as
 *   malformed and dropped; more than one question or an opcode other than QUERY is REFUSED (dnsmasq
 *   cannot hash them for forwarding and answers REFUSED). EDNS: an OPT in the query gets an OPT with
 *   1232 bytes (dnsmasq's default edns-packet-max) in the answer.
 */

export interface DnsServerOptions {
  /** The local domain (e.g. "vnet.internal"): lease names answer inside it; unknown names in it are NXDOMAIN. */
  readonly domain?: string;
  /** Static A records: name → address. */
  readonly records?: Readonly<Record<string, Ipv4 | string>>;
  /** Answer VM host names from this server's bound leases (as dnsmasq does for its own DHCP). */
  readonly leases?: DhcpServer;
  /** Where other names are forwarded (UDP port 53); null/absent: REFUSED (or NXDOMAIN when authoritative). */
  readonly upstream?: Ipv4 | string | null;
  /**
   * The final authority for every name (the simulated outside's DNS, standing in for the internet's
   * authoritative servers): unknown names are NXDOMAIN with AA instead of REFUSED. Default false
   * (a dnsmasq forwarder).
   */
  readonly authoritative?: boolean;
  /** UDP port to listen on (53). */
  readonly port?: number;
  /** Listen on this local address only (default any). */
  readonly address?: Ipv4 | string;
  /** Listen on this interface only (default all). */
  readonly iface?: IpInterface;
}

export interface DnsServerStats {
  /** Queries received (well-formed, QR clear). */
  queries: number;
  /** Answered from local data with at least one record. */
  answered: number;
  /** Local name without a record of the asked type (NOERROR, no answer). */
  nodata: number;
  nxdomain: number;
  refused: number;
  /** Queries sent upstream. */
  forwarded: number;
  /** Upstream replies relayed to the client. */
  relayed: number;
  /** Forwarded queries forgotten without a reply after 10 s. */
  upstreamTimeouts: number;
  /** Datagrams that did not parse as DNS. */
  malformed: number;
  /** Responses arriving on the query port, stray or late upstream replies. */
  ignored: number;
}

interface Pending {
  readonly client: Ipv4;
  readonly clientPort: number;
  readonly origId: number;
  readonly local: Ipv4 | null;
  readonly name: string;
  readonly sent: SimTime;
}

const LOCAL_TTL = 0;
const EDNS_PACKET_MAX = 1232;
const FORWARD_TIMEOUT = 10_000_000_000;

export class DnsServer {
  readonly stack: IpStack;
  readonly domain: string | null;
  readonly upstream: Ipv4 | null;
  readonly port: number;
  readonly authoritative: boolean;
  readonly stats: DnsServerStats = {
    queries: 0,
    answered: 0,
    nodata: 0,
    nxdomain: 0,
    refused: 0,
    forwarded: 0,
    relayed: 0,
    upstreamTimeouts: 0,
    malformed: 0,
    ignored: 0,
  };
  readonly #records = new Map<string, Ipv4>();
  readonly #leases: DhcpServer | null;
  readonly #pending = new Map<number, Pending>();
  #socket: UdpSocket | null;
  #upstreamSocket: UdpSocket | null = null;

  constructor(stack: IpStack, opts: DnsServerOptions = {}) {
    this.stack = stack;
    this.domain = opts.domain === undefined || opts.domain === "" ? null : canonicalName(opts.domain);
    this.upstream =
      opts.upstream === undefined || opts.upstream === null ? null : toIpv4(opts.upstream, "dns upstream");
    this.port = opts.port ?? 53;
    this.authoritative = opts.authoritative ?? false;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new ServiceConfigError(`dns port must be 1..65535, got ${this.port}`);
    }
    this.#leases = opts.leases ?? null;
    for (const [name, ip] of Object.entries(opts.records ?? {})) this.addRecord(name, ip);
    const address = opts.address === undefined ? undefined : toIpv4(opts.address, "dns address");
    this.#socket = stack.udpBind({
      port: this.port,
      ...(address !== undefined ? { address } : {}),
      ...(opts.iface !== undefined ? { iface: opts.iface } : {}),
    });
    this.#socket.onMessage((m) => this.#onQuery(m));
  }

  /** Adds (or replaces) a static A record. */
  addRecord(name: string, ip: Ipv4 | string): void {
    const n = canonicalName(name.trim());
    if (n === "" || n === ".") throw new ServiceConfigError("dns record: empty name");
    this.#records.set(n, toIpv4(ip, `dns record ${name}`));
  }

  /** Forwarded queries still waiting for the upstream's reply. */
  get pendingForwards(): number {
    this.#sweep();
    return this.#pending.size;
  }

  close(): void {
    this.#socket?.close();
    this.#socket = null;
    this.#upstreamSocket?.close();
    this.#upstreamSocket = null;
    this.#pending.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Local data.

  /** The forms of `n` to look up: itself, and without the local domain suffix. */
  #bare(n: string): string | null {
    const d = this.domain;
    if (d !== null && n.endsWith(`.${d}`)) return n.slice(0, -(d.length + 1));
    return null;
  }

  #inLocalDomain(n: string): boolean {
    return this.domain !== null && (n === this.domain || n.endsWith(`.${this.domain}`));
  }

  /** Addresses of a local name, or null when the name is not local. */
  #addresses(n: string): Ipv4[] | null {
    const bare = this.#bare(n);
    const st =
      this.#records.get(n) ?? (bare !== null && !bare.includes(".") ? this.#records.get(bare) : undefined);
    if (st !== undefined) return [st];
    const plain = bare ?? (n.includes(".") ? null : n);
    if (plain === null || this.#leases === null) return null;
    const out: Ipv4[] = [];
    for (const l of this.#leases.leases()) {
      if (l.state === "bound" && l.hostname !== null && l.hostname.toLowerCase() === plain) out.push(l.ip);
    }
    return out.length > 0 ? out : null;
  }

  #fqdn(name: string): string {
    return this.domain !== null && !name.includes(".") ? `${name}.${this.domain}` : name;
  }

  /** The name of a local address (for PTR), or null. */
  #nameOf(ip: Ipv4): string | null {
    for (const [n, a] of this.#records) if (a === ip) return this.#fqdn(n);
    if (this.#leases !== null) {
      for (const l of this.#leases.leases()) {
        if (l.state === "bound" && l.ip === ip && l.hostname !== null) return this.#fqdn(l.hostname);
      }
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Queries.

  #onQuery(m: UdpMessage): void {
    const b = m.data;
    if (b.byteLength < 12 || (b[2] & 0x80) !== 0) {
      this.stats.ignored++;
      return;
    }
    let q: DnsRepr;
    try {
      q = decodeDns(b);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
      return;
    }
    this.stats.queries++;
    if (q.opcode !== DnsOpcode.Query || q.questions.length !== 1) {
      this.stats.refused++;
      this.#answer(m, q, DnsRcode.Refused, false, []);
      return;
    }
    const question = q.questions[0];
    const name = canonicalName(question.name);
    if (question.class === DnsClass.IN || question.class === DnsClass.ANY) {
      const local = this.#local(name, question.type, question.name);
      if (local !== null) {
        if (local.length > 0) this.stats.answered++;
        else this.stats.nodata++;
        this.#answer(m, q, DnsRcode.NoError, true, local);
        return;
      }
    }
    const isAddr = question.type === DnsType.A || question.type === DnsType.AAAA;
    if (this.#inLocalDomain(name) || (isAddr && !name.includes(".") && name !== ".")) {
      this.stats.nxdomain++;
      this.#answer(m, q, DnsRcode.NXDomain, false, []);
      return;
    }
    if (this.upstream === null && this.authoritative) {
      this.stats.nxdomain++;
      this.#answer(m, q, DnsRcode.NXDomain, true, []);
      return;
    }
    if (this.upstream === null) {
      this.stats.refused++;
      this.#answer(m, q, DnsRcode.Refused, false, []);
      return;
    }
    this.#forward(m, q, name);
  }

  /** Local answers for (name, type): records (owned by the name as asked), [] for NODATA, or null when the name is not local. */
  #local(name: string, type: number, owner: string): DnsRecord[] | null {
    if (type === DnsType.PTR || name.endsWith(".in-addr.arpa")) {
      const ip = reverseName(name);
      if (ip === null) return null;
      const target = this.#nameOf(ip);
      if (target === null) return null;
      return type === DnsType.PTR || type === DnsType.ANY
        ? [dnsRecord(owner, LOCAL_TTL, { kind: "PTR", name: target })]
        : [];
    }
    const addrs = this.#addresses(name);
    if (addrs === null) return null;
    if (type !== DnsType.A && type !== DnsType.ANY) return [];
    return addrs.map((address) => dnsRecord(owner, LOCAL_TTL, { kind: "A", address }));
  }

  #answer(m: UdpMessage, q: DnsRepr, rcode: number, aa: boolean, answers: DnsRecord[]): void {
    const additionals = ednsInfo(q) !== undefined ? [optRecord({ udpPayloadSize: EDNS_PACKET_MAX })] : [];
    const r = dnsResponse(q, { rcode, aa, ra: true, answers, additionals });
    this.#reply(m.from, m.fromPort, this.#localSource(m), encodeDns(r));
  }

  #localSource(m: UdpMessage): Ipv4 | null {
    return m.iface.addresses.some((c) => c.address === m.to) ? m.to : null;
  }

  #reply(dst: Ipv4, port: number, src: Ipv4 | null, data: Uint8Array): void {
    this.#socket?.sendTo(data, dst, port, src !== null ? { src } : undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Forwarding.

  #sweep(): void {
    const now = this.stack.sim.now;
    for (const [id, p] of this.#pending) {
      if (now - p.sent >= FORWARD_TIMEOUT) {
        this.#pending.delete(id);
        this.stats.upstreamTimeouts++;
      }
    }
  }

  #forward(m: UdpMessage, q: DnsRepr, name: string): void {
    this.#sweep();
    const upstream = this.upstream as Ipv4;
    let sock = this.#upstreamSocket;
    if (sock === null) {
      sock = this.stack.udpBind();
      sock.onMessage((r) => this.#onUpstream(r));
      this.#upstreamSocket = sock;
    }
    if (this.#pending.size >= 0x10000) {
      this.stats.refused++;
      this.#answer(m, q, DnsRcode.Refused, false, []);
      return;
    }
    const rng = this.stack.sim.rng(`dns:${this.stack.name}:forward-id`);
    let id = rng.int(0, 0xffff);
    while (this.#pending.has(id)) id = (id + 1) & 0xffff;
    const out = m.data.slice();
    out[0] = id >>> 8;
    out[1] = id & 0xff;
    this.#pending.set(id, {
      client: m.from,
      clientPort: m.fromPort,
      origId: q.id,
      local: this.#localSource(m),
      name,
      sent: this.stack.sim.now,
    });
    this.stats.forwarded++;
    sock.sendTo(out, upstream, 53);
  }

  #onUpstream(r: UdpMessage): void {
    this.#sweep();
    const b = r.data;
    if (r.from !== this.upstream || r.fromPort !== 53 || b.byteLength < 12 || (b[2] & 0x80) === 0) {
      this.stats.ignored++;
      return;
    }
    const id = (b[0] << 8) | b[1];
    const p = this.#pending.get(id);
    if (p === undefined) {
      this.stats.ignored++;
      return;
    }
    let reply: DnsRepr;
    try {
      reply = decodeDns(b);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
      return;
    }
    if (reply.questions.length !== 1 || canonicalName(reply.questions[0].name) !== p.name) {
      this.stats.ignored++;
      return;
    }
    this.#pending.delete(id);
    const out = b.slice();
    out[0] = p.origId >>> 8;
    out[1] = p.origId & 0xff;
    this.stats.relayed++;
    this.#reply(p.client, p.clientPort, p.local, out);
  }
}

/** The address of a `d.c.b.a.in-addr.arpa` name, or null. */
export function reverseName(name: string): Ipv4 | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return null;
  const parts = [m[4], m[3], m[2], m[1]].map(Number);
  if (parts.some((x) => x > 255)) return null;
  return (((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0) as Ipv4;
}

/** The `d.c.b.a.in-addr.arpa` name of an address. */
export function reverseNameOf(ip: Ipv4): string {
  const [a, b, c, d] = formatIpv4(ip).split(".");
  return `${d}.${c}.${b}.${a}.in-addr.arpa`;
}
