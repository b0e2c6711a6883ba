/**
 * The vnet side of the bridge differential test: the scenario's bridge built with bridge/, one host
 * port per bridge port on a perfect link, the same frames sent in the same order (GAP apart in
 * simulated time, as the Linux side spaces them in wall time), and what each bridge port delivered to
 * its host collected as `formatFrame` strings.
 */
import { Bridge } from "../../bridge/index.js";
import { connect } from "../../netdev/link.js";
import { Port } from "../../netdev/port.js";
import { Simulator } from "../../sim/simulator.js";
import { ms, s } from "../../sim/time.js";
import type { Mac } from "../../wire/addr.js";
import { formatFrame, type PortOutputs, type Scenario } from "./scenario.js";

/** Simulated time between two sent frames. */
const GAP = ms(20);

export function runVnet(sc: Scenario): PortOutputs {
  const sim = new Simulator({ seed: 1 });
  const count = Math.max(0, ...(sc.bridgeOf ?? [])) + 1;
  const bridges = Array.from(
    { length: count },
    (_, b) => new Bridge(sim, `br${b}`, { ageingTime: s(sc.ageingS ?? 300) }),
  );
  const out: PortOutputs = {};
  const hosts: Port[] = [];
  const ports: Port[] = [];
  for (let i = 1; i <= sc.ports; i++) {
    const name = `p${i}`;
    const f = sc.flags?.[i] ?? {};
    const br = bridges[sc.bridgeOf?.[i - 1] ?? 0];
    const p = br.addPort(name, {
      ...(f.learning !== undefined && { learning: f.learning }),
      ...(f.flood !== undefined && { flood: f.flood }),
      ...(f.mcastFlood !== undefined && { mcastFlood: f.mcastFlood }),
      ...(f.bcastFlood !== undefined && { bcastFlood: f.bcastFlood }),
      ...(f.hairpin !== undefined && { hairpin: f.hairpin }),
      ...(f.isolated !== undefined && { isolated: f.isolated }),
    });
    const h = new Port(sim, `h${i}`);
    connect(sim, p, h);
    const seen: string[] = [];
    out[name] = seen;
    h.onReceive((frame) => {
      seen.push(formatFrame(frame));
    });
    hosts.push(h);
    ports.push(p);
  }
  // vnet's static entries are always sticky (bridge/README.md); a scenario without `sticky` shows the
  // Linux difference.
  for (const st of sc.statics ?? []) {
    bridges[sc.bridgeOf?.[st.port - 1] ?? 0].addStatic(st.mac as Mac, ports[st.port - 1]);
  }
  let t = GAP;
  for (const step of sc.steps) {
    if ("waitS" in step) {
      t += s(step.waitS);
      continue;
    }
    const h = hosts[step.from - 1];
    const frame = step.frame;
    sim.at(t, () => {
      h.send(frame);
    });
    t += GAP;
  }
  sim.run({ until: t + s(1), maxEvents: 1_000_000 });
  return out;
}
