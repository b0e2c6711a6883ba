import type { IpStack, UdpMessage, UdpSocket } from "../ip/index.js";
import type { Timer } from "../sim/simulator.js";
import { type Ipv4, parseIpv4Address } from "../wire/addr.js";
import { DnsRcode, type DnsRepr, DnsType, decodeDns, dnsQuery, encodeDns } from "../wire/dns.js";
import { WireError } from "../wire/errors.js";

/**
 * A stub resolver like glibc's (resolv/res_query.c, res_send.c) with its defaults: `options ndots:1
 * timeout:5 attempts:2`, the servers and search domain from the stack (`stack.dnsServers`,
 * `stack.searchDomain`, as /etc/resolv.conf written by the DHCP client).
 *
 * - A dotted quad resolves to itself without a query.
 * - Search order (res_search): a name with at least one dot (ndots 1) is tried as given first, then with
 *   the search domain; a name without a dot the other way round; a trailing dot means as given only.
 * - Per name (res_send): `attempts` rounds over the servers in order, one query (A, RD) per server and
 *   round, waiting (timeout << i) / nservers seconds for server i > 0 and `timeout` for the first. One
 *   query id per name, a fresh random source port per lookup.
 * - NOERROR with addresses: done. NXDOMAIN or NOERROR without an A record (NODATA): that name failed,
 *   go to the next search candidate (also after SERVFAIL from every server; REFUSED or no answer at
 *   all ends the search, as res_search's h_errno handling does). SERVFAIL, NOTIMP, REFUSED: try the next server; so does an ICMP
 *   destination unreachable about the query (glibc's connected socket gets ECONNREFUSED/EHOSTUNREACH).
 *
 * The callback gets the first address, or null and the rcode of the last answer (-1 when no server
 * answered, -2 when there are no servers).
 */

export const RESOLVE_TIMEOUT = -1;
export const RESOLVE_NO_SERVERS = -2;

export interface ResolverOptions {
  /** Seconds (5). */
  readonly timeout?: number;
  /** Rounds over the servers (2). */
  readonly attempts?: number;
  readonly ndots?: number;
}

export interface ResolveResult {
  readonly name: string;
  /** The name that answered (with the search domain if it was added), or null. */
  readonly answeredName: string | null;
  readonly addresses: readonly Ipv4[];
  /** DNS rcode of the last answer, or RESOLVE_TIMEOUT / RESOLVE_NO_SERVERS. */
  readonly rcode: number;
  /** Queries sent. */
  readonly queries: number;
}

export interface ResolverStats {
  lookups: number;
  queries: number;
  answers: number;
  timeouts: number;
  /** Replies that did not parse or did not match a query. */
  ignored: number;
  /** Servers that answered a query with an ICMP destination unreachable. */
  unreachable: number;
}

function dottedQuad(name: string): Ipv4 | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return null;
  try {
    return parseIpv4Address(name);
  } catch (e) {
    if (e instanceof WireError) return null;
    throw e;
  }
}

/** A lookup in progress. */
class Lookup {
  readonly #r: Resolver;
  readonly #name: string;
  readonly #candidates: string[];
  readonly #servers: readonly Ipv4[];
  readonly #cb: (r: ResolveResult) => void;
  #sock: UdpSocket | null = null;
  #timer: Timer | null = null;
  #cand = 0;
  #round = 0;
  #server = 0;
  #id = 0;
  #rcode = RESOLVE_TIMEOUT;
  #queries = 0;
  #done = false;

  constructor(
    r: Resolver,
    name: string,
    candidates: string[],
    servers: readonly Ipv4[],
    cb: (r: ResolveResult) => void,
  ) {
    this.#r = r;
    this.#name = name;
    this.#candidates = candidates;
    this.#servers = servers;
    this.#cb = cb;
  }

  start(): void {
    if (this.#done) return;
    this.#sock = this.#r.stack.udpBind();
    this.#sock.onMessage((m) => this.#onReply(m));
    // glibc connects its UDP socket: an ICMP unreachable about the query (ECONNREFUSED, EHOSTUNREACH)
    // fails that server at once instead of waiting out the timeout.
    this.#sock.onError((e) => {
      if (
        this.#done ||
        e.dst !== this.#servers[this.#server] ||
        (e.dstPort !== undefined && e.dstPort !== 53)
      )
        return;
      if (e.type !== 3) return;
      this.#r.stats.unreachable++;
      this.#nextServer();
    });
    this.#startName();
  }

  cancel(): void {
    this.#finish(null, [], this.#rcode, false);
  }

  #startName(): void {
    if (this.#cand >= this.#candidates.length) {
      this.#finish(null, [], this.#rcode, true);
      return;
    }
    this.#id = this.#r.stack.sim.rng(`dns:${this.#r.stack.name}:query-id`).int(0, 0xffff);
    this.#rcode = RESOLVE_TIMEOUT;
    this.#round = 0;
    this.#server = 0;
    this.#send();
  }

  #send(): void {
    const sock = this.#sock;
    if (sock === null || this.#done) return;
    const n = this.#servers.length;
    const i = this.#server;
    const q = encodeDns(dnsQuery({ id: this.#id, name: this.#candidates[this.#cand], type: DnsType.A }));
    this.#queries++;
    this.#r.stats.queries++;
    sock.sendTo(q, this.#servers[i], 53);
    let seconds = this.#r.timeout * 2 ** i;
    if (i > 0) seconds = Math.trunc(seconds / n);
    if (seconds <= 0) seconds = 1;
    this.#timer = this.#r.stack.sim.schedule(seconds * 1e9, () => {
      this.#timer = null;
      this.#r.stats.timeouts++;
      this.#nextServer();
    });
  }

  #nextServer(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#server++;
    if (this.#server >= this.#servers.length) {
      this.#server = 0;
      this.#round++;
      if (this.#round >= this.#r.attempts) {
        // res_search goes on to the next name only after SERVFAIL; REFUSED, NOTIMP and no answer
        // (h_errno NO_RECOVERY / TRY_AGAIN without SERVFAIL) end the search.
        if (this.#rcode !== DnsRcode.ServFail) {
          this.#finish(null, [], this.#rcode, true);
          return;
        }
        this.#cand++;
        this.#startName();
        return;
      }
    }
    this.#send();
  }

  #onReply(m: UdpMessage): void {
    if (this.#done) return;
    let r: DnsRepr;
    try {
      r = decodeDns(m.data);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.#r.stats.ignored++;
      return;
    }
    const asked = this.#candidates[this.#cand].toLowerCase();
    if (
      !r.qr ||
      r.id !== this.#id ||
      m.fromPort !== 53 ||
      !this.#servers.includes(m.from) ||
      r.questions.length !== 1 ||
      r.questions[0].name.toLowerCase() !== asked
    ) {
      this.#r.stats.ignored++;
      return;
    }
    this.#r.stats.answers++;
    this.#rcode = r.rcode;
    if (r.rcode === DnsRcode.NoError) {
      const addrs: Ipv4[] = [];
      for (const a of r.answers) if (a.data.kind === "A") addrs.push(a.data.address);
      if (addrs.length > 0) {
        this.#finish(this.#candidates[this.#cand], addrs, r.rcode, true);
        return;
      }
    }
    if (r.rcode === DnsRcode.NoError || r.rcode === DnsRcode.NXDomain) {
      this.#timer?.cancel();
      this.#timer = null;
      this.#cand++;
      this.#startName();
      return;
    }
    this.#nextServer(); // SERVFAIL, NOTIMP, REFUSED, others
  }

  #finish(answered: string | null, addresses: Ipv4[], rcode: number, notify: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#sock?.close();
    this.#sock = null;
    this.#r.forget(this);
    if (notify)
      this.#cb({ name: this.#name, answeredName: answered, addresses, rcode, queries: this.#queries });
  }
}

export class Resolver {
  readonly stack: IpStack;
  readonly timeout: number;
  readonly attempts: number;
  readonly ndots: number;
  readonly stats: ResolverStats = {
    lookups: 0,
    queries: 0,
    answers: 0,
    timeouts: 0,
    ignored: 0,
    unreachable: 0,
  };
  readonly #lookups = new Set<Lookup>();

  constructor(stack: IpStack, opts: ResolverOptions = {}) {
    this.stack = stack;
    this.timeout = opts.timeout ?? 5;
    this.attempts = opts.attempts ?? 2;
    this.ndots = opts.ndots ?? 1;
  }

  /** Looks `name` up; `cb` runs later in simulated time (never synchronously). */
  lookup(name: string, cb: (r: ResolveResult) => void): void {
    this.stats.lookups++;
    const sim = this.stack.sim;
    const trimmed = name.trim();
    const quad = dottedQuad(trimmed);
    if (quad !== null) {
      sim.schedule(0, () =>
        cb({ name, answeredName: trimmed, addresses: [quad], rcode: DnsRcode.NoError, queries: 0 }),
      );
      return;
    }
    const servers = [...this.stack.dnsServers];
    if (servers.length === 0 || trimmed === "") {
      sim.schedule(0, () =>
        cb({ name, answeredName: null, addresses: [], rcode: RESOLVE_NO_SERVERS, queries: 0 }),
      );
      return;
    }
    const look = new Lookup(this, name, this.candidates(trimmed), servers, cb);
    this.#lookups.add(look);
    sim.schedule(0, () => look.start());
  }

  /** The names res_search tries for `name`, in order. */
  candidates(name: string): string[] {
    if (name.endsWith(".")) return [name.slice(0, -1) || "."];
    const search = this.stack.searchDomain;
    if (search === null || search === "") return [name];
    const withSearch = `${name}.${search}`;
    const dots = name.split(".").length - 1;
    return dots >= this.ndots ? [name, withSearch] : [withSearch, name];
  }

  /** Ends every lookup in progress without calling back (the guest stopped). */
  cancelAll(): void {
    for (const l of [...this.#lookups]) l.cancel();
  }

  /** @internal */
  forget(l: Lookup): void {
    this.#lookups.delete(l);
  }
}
