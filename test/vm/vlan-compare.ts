/**
 * Compares the VLAN scenarios' outputs port by port, in order, byte for byte, into the fidelity
 * harness's result model (test/fidelity/result.ts) with the harness's one comparison
 * (test/fidelity/compare.ts). Nothing is masked: the frames are the test's own and a bridge draws nothing
 * at random. A difference is explained only by an id of test/fidelity/vlan-known.ts
 * (`classifyVlanDifference`).
 */
import { comparePort } from "../fidelity/compare.js";
import type { ScenarioResult } from "../fidelity/result.js";
import { classifyVlanDifference } from "../fidelity/vlan-known.js";
import { macText } from "../netns/scenario.js";
import type { VlanStep } from "./vlan-scenarios.js";

/** What the comparison needs of a scenario (bridge or sub-interface): its name and steps. */
export interface ScenarioSteps {
  readonly name: string;
  readonly steps: readonly VlanStep[];
}

import type { PortFrame, VlanOutputs } from "./vlan-vnet.js";

export const VLAN_ORACLE = "Linux 6.1 bridge, vlan_filtering (QEMU guest)";
/** The sub-interface host scenarios' oracle. */
export const VLAN_HOST_ORACLE = "Linux 6.1 8021q sub-interfaces (QEMU guest)";

const TPIDS = new Set([0x8100, 0x88a8, 0x9100]);

/** `dst<src 8100:vid10/pcp3/dei 88b5 #7 64B`: the fields a VLAN bridge may change, readable in a diff. */
export function describeVlanFrame(f: Uint8Array): string {
  if (f.byteLength < 14) return `${f.byteLength}B runt`;
  const parts = [`${macText(f, 0)}<${macText(f, 6)}`];
  let at = 12;
  while (at + 4 <= f.byteLength && TPIDS.has((f[at] << 8) | f[at + 1])) {
    const tpid = (f[at] << 8) | f[at + 1];
    const tci = (f[at + 2] << 8) | f[at + 3];
    parts.push(`${tpid.toString(16)}:vid${tci & 0xfff}/pcp${tci >> 13}${tci & 0x1000 ? "/dei" : ""}`);
    at += 4;
  }
  const type = at + 2 <= f.byteLength ? ((f[at] << 8) | f[at + 1]).toString(16).padStart(4, "0") : "?";
  const seq = at + 4 <= f.byteLength ? (f[at + 2] << 8) | f[at + 3] : -1;
  parts.push(type, `#${seq}`, `${f.byteLength}B`);
  return parts.join(" ");
}

/** A frame as the shared comparison's item: its description, then its bytes in hex. */
export function vlanItem(f: Uint8Array): string {
  return `${describeVlanFrame(f)} ${Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("hex")}`;
}

/**
 * The scenario's result: ports `names[i]` (default p1..pN), the oracle's outputs against vnet's, each
 * port through test/fidelity/compare.ts's `comparePort` (in order; one missing frame is one difference).
 * Which step caused a frame is not compared (the oracle's step boundaries are wall-clock ones).
 */
export function compareVlan(
  sc: ScenarioSteps,
  oracle: VlanOutputs,
  vnet: VlanOutputs,
  names: readonly string[] = vnet.map((_, i) => `p${i + 1}`),
  oracleName: string = VLAN_ORACLE,
): ScenarioResult {
  const items = (port: readonly PortFrame[]) => port.map((pf) => vlanItem(pf.frame));
  return {
    group: "vlan",
    scenario: sc.name,
    oracle: oracleName,
    ports: vnet.map((v, i) =>
      comparePort(names[i], items(oracle[i] ?? []), items(v), {
        classify: (d) => classifyVlanDifference(sc.name, d),
      }),
    ),
  };
}

/** How many frames vnet sent per step (the oracle run waits for as many, bounded). */
export function framesPerStep(sc: ScenarioSteps, out: VlanOutputs): number[] {
  const n = sc.steps.map(() => 0);
  for (const port of out) for (const pf of port) n[pf.step]++;
  return n;
}
