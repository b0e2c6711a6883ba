/**
 * Parametric topologies, as Mininet's `--topo linear,4`: a registry of generators, each a function of
 * its arguments returning the same `TopologySpec` a file gives (validated by the builder).
 *
 * - `linear,N` — N switches (isolated networks s1…sN) in a line, one VM on each (h1…hN, static
 *   10.0.0.i/24: one L2 segment, as Mininet's LinearTopo); h1 pings hN.
 * - `star,N[,MODE]` — N VMs (vm1…vmN) on one network `lan` of MODE (default nat; above 16 VMs the
 *   libvirt flavour, since slirp hands out 16 leases); every other VM pings vm1, and vm1 pings the
 *   outside's web server when the mode reaches it.
 */
import { s } from "../sim/time.js";
import { topology } from "./builder.js";
import { NETWORK_MODES, type NetworkMode, TopologyError, type TopologySpec } from "./spec.js";

export type TopologyGenerator = (args: readonly string[]) => TopologySpec;

function count(name: string, raw: string | undefined, max: number): number {
  const n = raw !== undefined && /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new TopologyError(
      `--topo ${name}: expected a number of nodes 1..${max}, got ${raw === undefined ? "nothing" : JSON.stringify(raw)}`,
      [],
    );
  return n;
}

const generators = new Map<string, { readonly usage: string; readonly make: TopologyGenerator }>();

/** Adds a generator (a name already registered is replaced). */
export function registerTopology(name: string, usage: string, make: TopologyGenerator): void {
  generators.set(name, { usage, make });
}

export function topologyGenerators(): { name: string; usage: string }[] {
  return [...generators].map(([name, g]) => ({ name, usage: g.usage }));
}

/** `linear,4` → the spec. Unknown names and bad arguments throw TopologyError (one line). */
export function generateTopology(arg: string): TopologySpec {
  const [name, ...args] = arg.split(",").map((x) => x.trim());
  const g = generators.get(name);
  if (!g) {
    const known = [...generators.keys()];
    throw new TopologyError(
      `--topo: unknown topology ${JSON.stringify(name)}; known: ${known.join(", ")}`,
      [],
    );
  }
  return g.make(args);
}

registerTopology("linear", "linear,N: N switches in a line, one VM each", (args) => {
  const n = count("linear", args[0], 250);
  const b = topology(`linear-${n}`, { duration: s(30) });
  for (let i = 1; i <= n; i++) {
    b.network(`s${i}`, {
      mode: "isolated",
      subnet: "10.0.0.0/24",
      ...(i > 1 ? { links: [{ network: `s${i - 1}` }] } : {}),
    });
    b.vm(`h${i}`, { nics: [{ network: `s${i}`, ip: `10.0.0.${i}/24` }] });
  }
  b.ping(s(1), { from: "h1", to: `h${n}`, count: 3 });
  return b.build();
});

registerTopology("star", "star,N[,MODE]: N VMs on one network (MODE: nat by default)", (args) => {
  const n = count("star", args[0], 250);
  const mode = (args[1] ?? "nat") as NetworkMode;
  if (!NETWORK_MODES.includes(mode))
    throw new TopologyError(
      `--topo star: unknown mode ${JSON.stringify(args[1])}; modes: ${NETWORK_MODES.join(", ")}`,
      [],
    );
  const b = topology(`star-${n}-${mode}`, { duration: s(30) });
  // slirp hands out 16 leases: a bigger NAT star takes libvirt's plan (.2-.254).
  b.network(
    "lan",
    mode === "isolated"
      ? { mode, subnet: "10.0.0.0/24" }
      : mode === "nat" && n > 16
        ? { mode, flavor: "libvirt" }
        : { mode },
  );
  for (let i = 1; i <= n; i++) b.vm(`vm${i}`, { nics: ["lan"] });
  // After the DHCP exchanges (a DISCOVER goes out at once; slirp/dnsmasq answer at once).
  for (let i = 2; i <= n; i++) b.ping(s(5), { from: `vm${i}`, to: "vm1", count: 3 });
  if (mode !== "host-only" && mode !== "isolated") b.ping(s(5), { from: "vm1", to: "web", count: 3 });
  return b.build();
});
