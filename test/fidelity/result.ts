/**
 * The fidelity harness's result model (issue 6): every differential scenario — Linux namespaces, the
 * guest kernel under QEMU for VLANs, dnsmasq for DHCP — reports one `ScenarioResult`, and
 * `npm run fidelity` prints them as one table. A difference is either explained by a documented,
 * intended difference (an id of known.ts, listed with its reason in docs/fidelity.md) or it is a
 * failure. The types live in scripts/fidelity/model.ts (the runner's, built), re-exported here.
 */
import { appendFileSync } from "node:fs";
import type { FrameDifference, ScenarioResult } from "../../scripts/fidelity/model.js";

export type { FrameDifference, PortComparison, ScenarioResult } from "../../scripts/fidelity/model.js";

/** Differences no documented id explains: what a test must find empty. */
export function undocumented(r: ScenarioResult): FrameDifference[] {
  return r.ports.flatMap((p) => p.differences.filter((d) => d.known === undefined));
}

/**
 * Records a result for `npm run fidelity`'s table: appended as one JSON line to the file named by
 * VNET_FIDELITY_OUT when that is set (the runner sets it); a no-op otherwise (plain `npm test`).
 */
export function recordResult(r: ScenarioResult): void {
  const out = process.env.VNET_FIDELITY_OUT;
  if (out) appendFileSync(out, `${JSON.stringify(r)}\n`);
}
