/**
 * The TypeScript builder: the same `TopologySpec` a YAML file gives, written in code with typed
 * options and numbers for units (`ms(5)`, `100e6` bits/s, `0.01` loss). Describing is separate from
 * building (Mininet's lesson): `build()` returns plain data, validated exactly as a file is (the same
 * schema and reference checks), and only `buildTopology(spec, sim)` creates objects.
 *
 * ```ts
 * const spec = topology("nat-demo", { seed: 1, duration: s(30) })
 *   .network("lan", { mode: "nat" })
 *   .vm("vm1", { nics: ["lan"] })
 *   .vm("vm2", { nics: [{ network: "lan", link: { delay: ms(5), loss: 0.01 } }] })
 *   .ping(s(2), { from: "vm1", to: "web", count: 4 })
 *   .build();
 * ```
 */
import type { SimTime } from "../sim/time.js";
import type {
  CaptureSpec,
  FaultSpec,
  FlowSpec,
  NetworkSpec,
  NicSpec,
  OutsideSpec,
  PingSpec,
  RouterSpec,
  ServerSpec,
  TopologySpec,
  TrafficSpec,
  UdpEchoSpec,
  VmSpec,
} from "./spec.js";
import { checkTopology } from "./yaml.js";

/** A VM as the builder takes it: a NIC may be just its network's name. */
export interface VmOptions extends Omit<VmSpec, "nics"> {
  readonly nics: readonly (string | NicSpec)[];
}

export class TopologyBuilder {
  readonly #name: string;
  readonly #seed: number | undefined;
  readonly #duration: SimTime | undefined;
  readonly #networks: Record<string, NetworkSpec> = {};
  readonly #vms: Record<string, VmSpec> = {};
  readonly #routers: Record<string, RouterSpec> = {};
  #outside: OutsideSpec | undefined;
  readonly #servers: Record<string, ServerSpec> = {};
  readonly #traffic: TrafficSpec[] = [];
  readonly #faults: FaultSpec[] = [];
  #captures: CaptureSpec | undefined;

  constructor(name: string, opts: { seed?: number; duration?: SimTime } = {}) {
    this.#name = name;
    this.#seed = opts.seed;
    this.#duration = opts.duration;
  }

  network(name: string, spec: NetworkSpec): this {
    this.#networks[name] = spec;
    return this;
  }

  vm(name: string, opts: VmOptions): this {
    this.#vms[name] = { ...opts, nics: opts.nics.map((n) => (typeof n === "string" ? { network: n } : n)) };
    return this;
  }

  router(name: string, spec: RouterSpec): this {
    this.#routers[name] = spec;
    return this;
  }

  /** The outside's settings (its `servers` merge with those added by `server()`). */
  outside(spec: OutsideSpec): this {
    this.#outside = spec;
    return this;
  }

  /** Adds a server to the outside (giving any server replaces the default web and dns servers). */
  server(name: string, spec: ServerSpec): this {
    this.#servers[name] = spec;
    return this;
  }

  ping(at: SimTime, spec: PingSpec): this {
    this.#traffic.push({ at, ping: spec });
    return this;
  }

  udpEcho(at: SimTime, spec: UdpEchoSpec): this {
    this.#traffic.push({ at, udpEcho: spec });
    return this;
  }

  flow(at: SimTime, spec: FlowSpec): this {
    this.#traffic.push({ at, flow: spec });
    return this;
  }

  linkDown(at: SimTime, port: string): this {
    this.#faults.push({ at, linkDown: port });
    return this;
  }

  linkUp(at: SimTime, port: string): this {
    this.#faults.push({ at, linkUp: port });
    return this;
  }

  stop(at: SimTime, node: string): this {
    this.#faults.push({ at, stop: node });
    return this;
  }

  start(at: SimTime, node: string): this {
    this.#faults.push({ at, start: node });
    return this;
  }

  captures(c: CaptureSpec): this {
    this.#captures = c;
    return this;
  }

  /** The spec without validation (for generators that add to it). */
  spec(): TopologySpec {
    const servers =
      Object.keys(this.#servers).length > 0
        ? { ...(this.#outside?.servers ?? {}), ...this.#servers }
        : this.#outside?.servers;
    const outside =
      this.#outside || servers ? { ...(this.#outside ?? {}), ...(servers ? { servers } : {}) } : undefined;
    return {
      name: this.#name,
      ...(this.#seed !== undefined ? { seed: this.#seed } : {}),
      ...(this.#duration !== undefined ? { duration: this.#duration } : {}),
      networks: { ...this.#networks },
      vms: { ...this.#vms },
      ...(Object.keys(this.#routers).length > 0 ? { routers: { ...this.#routers } } : {}),
      ...(outside ? { outside } : {}),
      ...(this.#traffic.length > 0 ? { traffic: [...this.#traffic] } : {}),
      ...(this.#faults.length > 0 ? { faults: [...this.#faults] } : {}),
      ...(this.#captures !== undefined ? { captures: this.#captures } : {}),
    };
  }

  /** The validated spec; throws TopologyError (`name: path: message`) on the first problem. */
  build(): TopologySpec {
    return checkTopology(this.spec());
  }
}

export function topology(name: string, opts: { seed?: number; duration?: SimTime } = {}): TopologyBuilder {
  return new TopologyBuilder(name, opts);
}

/** Validates a spec written as a literal (same checks as a file); returns it normalised. */
export function defineTopology(spec: TopologySpec): TopologySpec {
  return checkTopology(spec);
}
