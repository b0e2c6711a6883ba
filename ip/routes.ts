import { formatIpv4, type Ipv4 } from "../wire/addr.js";
import { type Cidr, IpConfigError, networkOf, prefixMask } from "./cidr.js";
import type { IpInterface } from "./interface.js";

/** One route of the main table, as `ip route show` lists it. */
export interface RouteEntry {
  readonly dst: Cidr;
  readonly via: Ipv4 | null;
  readonly iface: IpInterface;
  readonly metric: number;
  readonly src: Ipv4 | null;
  readonly proto: "kernel" | "static" | "dhcp";
}

const CACHE_MAX = 4096;

/**
 * The main routing table (Linux `ip route`, table main): longest prefix first, then the lowest
 * metric, then the route added first. Routes whose interface is administratively down are skipped
 * (Linux deletes them when the device goes down). `dst` is stored normalised (host bits cleared).
 * Lookups go through a per-destination cache, cleared on every change, so the forwarding path costs
 * one Map lookup.
 */
export class RouteTable {
  #routes: RouteEntry[] = [];
  /** Prefix lengths present, longest first. */
  #lengths: number[] = [];
  /** prefix length → network → routes (sorted by metric, then insertion). */
  #byLen = new Map<number, Map<number, RouteEntry[]>>();
  readonly #cache = new Map<number, RouteEntry | null>();
  #version = 0;

  /** Changes whenever a lookup could answer differently (routes changed, or `invalidate()`). */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#routes.length;
  }

  all(): readonly RouteEntry[] {
    return this.#routes;
  }

  invalidate(): void {
    this.#cache.clear();
    this.#version++;
  }

  add(r: RouteEntry): void {
    const dst = { address: networkOf(r.dst), prefixLength: r.dst.prefixLength };
    const e: RouteEntry = { ...r, dst };
    for (const x of this.#routes) {
      if (
        x.dst.address === dst.address &&
        x.dst.prefixLength === dst.prefixLength &&
        x.metric === e.metric &&
        // Linux refuses a second route with the same prefix and metric ("File exists"); kernel
        // routes of two addresses in one subnet on different devices may coexist.
        (x.proto !== "kernel" || e.proto !== "kernel" || x.iface === e.iface)
      ) {
        throw new IpConfigError(
          `route ${formatIpv4(dst.address)}/${dst.prefixLength} metric ${e.metric} exists (RTNETLINK answers: File exists)`,
        );
      }
    }
    this.#routes.push(e);
    this.#rebuild();
  }

  /** Removes routes matching `dst` (and `via` when given; `iface` when given). Returns how many. */
  remove(dst: Cidr, via?: Ipv4 | null, iface?: IpInterface, proto?: RouteEntry["proto"]): number {
    const net = networkOf(dst);
    const before = this.#routes.length;
    this.#routes = this.#routes.filter(
      (x) =>
        !(
          x.dst.address === net &&
          x.dst.prefixLength === dst.prefixLength &&
          (via === undefined || x.via === via) &&
          (iface === undefined || x.iface === iface) &&
          (proto === undefined || x.proto === proto)
        ),
    );
    const n = before - this.#routes.length;
    if (n > 0) this.#rebuild();
    return n;
  }

  /** Removes every route through `iface` matching `pred`. */
  removeWhere(pred: (r: RouteEntry) => boolean): number {
    const before = this.#routes.length;
    this.#routes = this.#routes.filter((r) => !pred(r));
    const n = before - this.#routes.length;
    if (n > 0) this.#rebuild();
    return n;
  }

  #rebuild(): void {
    this.#byLen.clear();
    for (const r of this.#routes) {
      let m = this.#byLen.get(r.dst.prefixLength);
      if (!m) {
        m = new Map();
        this.#byLen.set(r.dst.prefixLength, m);
      }
      let list = m.get(r.dst.address);
      if (!list) {
        list = [];
        m.set(r.dst.address, list);
      }
      list.push(r);
    }
    for (const m of this.#byLen.values())
      for (const list of m.values()) list.sort((a, b) => a.metric - b.metric);
    this.#lengths = [...this.#byLen.keys()].sort((a, b) => b - a);
    this.#cache.clear();
    this.#version++;
  }

  /** Longest-prefix match over routes whose interface is up (and, with `iface`, only through it). */
  lookup(dst: Ipv4, iface?: IpInterface): RouteEntry | null {
    if (iface === undefined) {
      const c = this.#cache.get(dst);
      if (c !== undefined) return c;
    }
    let found: RouteEntry | null = null;
    const lengths = this.#lengths;
    outer: for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i];
      const list = this.#byLen.get(len)?.get((dst & prefixMask(len)) >>> 0);
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const r = list[j];
        if (!r.iface.up) continue;
        if (iface !== undefined && r.iface !== iface) continue;
        found = r;
        break outer;
      }
    }
    if (iface === undefined) {
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
      this.#cache.set(dst, found);
    }
    return found;
  }

  /** In `ip route show` order: network ascending, then longer prefix first, then metric. */
  sorted(): RouteEntry[] {
    return [...this.#routes].sort(
      (a, b) =>
        a.dst.address - b.dst.address || b.dst.prefixLength - a.dst.prefixLength || a.metric - b.metric,
    );
  }
}

/** One line of `ip route show` (iproute2 prints "proto boot" routes, i.e. `ip route add`, without proto). */
export function formatRoute(r: RouteEntry): string {
  const parts: string[] = [];
  if (r.dst.prefixLength === 0) parts.push("default");
  else if (r.dst.prefixLength === 32) parts.push(formatIpv4(r.dst.address));
  else parts.push(`${formatIpv4(r.dst.address)}/${r.dst.prefixLength}`);
  if (r.via !== null) parts.push(`via ${formatIpv4(r.via)}`);
  parts.push(`dev ${r.iface.name}`);
  if (r.proto !== "static") parts.push(`proto ${r.proto}`);
  if (r.via === null) parts.push("scope link");
  if (r.src !== null) parts.push(`src ${formatIpv4(r.src)}`);
  if (r.metric !== 0) parts.push(`metric ${r.metric}`);
  if (!r.iface.carrier) parts.push("linkdown");
  return parts.join(" ");
}
