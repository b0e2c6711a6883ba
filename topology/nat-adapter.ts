/**
 * The one place topology/ talks to nat/: masquerade of a network's subnet out of an uplink on an
 * IpStack (`iptables -t nat -A POSTROUTING -s SUBNET -o UPLINK -j MASQUERADE`), port forwards added as
 * the VMs get their addresses, and what the report needs back (`conntrack -L`, entries, counters).
 */
import type { IpInterface, IpStack } from "../ip/index.js";
import { Nat } from "../nat/index.js";
import type { Ipv4 } from "../wire/addr.js";
import type { ResolvedNat } from "./presets.js";

export interface NatHandle {
  /** MASQUERADE of `source` (`a.b.c.d/len`) out of `outIface`. */
  masquerade(outIface: IpInterface, source: string): void;
  /** A DNAT port forward: `hostPort` on the uplink's address → `to`:`toPort` (QEMU hostfwd). */
  forward(proto: "tcp" | "udp", hostPort: number, to: Ipv4, toPort: number): void;
  /** `conntrack -L` lines. */
  format(): string;
  /** The table as plain data (for JSON). */
  entries(): readonly unknown[];
  /** Counters (`conntrack -S` names, drops by reason). */
  stats(): Readonly<Record<string, number>>;
}

/**
 * One NAT (one conntrack table, as one Linux network namespace has) installed on a stack; `name`
 * names it and its random streams (`nat:<name>:…`).
 */
export function installNat(stack: IpStack, name: string, settings: ResolvedNat): NatHandle {
  const nat = new Nat(stack.sim, name, {
    maxEntries: settings.maxFlows,
    behaviour: settings.behaviour === "linux" ? "linux" : settings.behaviour,
  });
  nat.install(stack);
  const outs: IpInterface[] = [];
  return {
    masquerade: (outIface, source) => {
      nat.masquerade({ outIf: outIface, source });
      outs.push(outIface);
    },
    forward: (proto, hostPort, to, toPort) =>
      nat.portForward({ proto, port: hostPort, iface: outs[0], to, toPort }),
    format: () => nat.format(),
    entries: () => nat.entries(),
    stats: () => nat.stats.snapshot(),
  };
}
