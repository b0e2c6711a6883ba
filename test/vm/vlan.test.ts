/**
 * VLAN fidelity (issue 6): vnet's VLAN-aware bridge against the Linux 6.1 bridge with `vlan_filtering 1`,
 * scenario by scenario, port by port, byte for byte. This machine's kernel has no 802.1Q
 * (../shared/REAL-VMS.md), so the oracle is a QEMU guest (the Debian cloud kernel under `-accel tcg`,
 * scripts/vm/init-bridge.sh) whose four NICs are the bridge's ports and whose other ends this test holds
 * (vlan-oracle.ts); a fifth NIC is a host with 802.1Q sub-interfaces (eth4.10), against vnet's
 * `VlanDemux` under an `IpStack`. The same scenario (vlan-scenarios.ts) runs on vnet's bridge in simulated time
 * (vlan-vnet.ts); every port's output is compared in order (vlan-compare.ts) into a `ScenarioResult`
 * (group "vlan"), recorded for `npm run fidelity`'s table (`expectFaithful`). A difference no id of
 * test/fidelity/vlan-known.ts explains fails the test.
 *
 * Run by `npm run test:vm` (VNET_VM=1); skipped under `npm test`. Without qemu-system-x86_64, the fetched
 * kernel (scripts/vm/fetch.sh) or the host's iproute2 it is skipped with the reason, except in CI (the
 * `CI` variable set), where it fails. One guest serves every scenario (br0 is made anew for each); it
 * is killed after GUEST_TIMEOUT ms and in afterAll. Only socket pairs (no socket file, no port) carry
 * its frames. VNET_VM_KEEP=1 keeps the work directory (the console log); it is kept on failure anyway.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFaithful } from "../fidelity/compare.js";
import { findVmTools, inCi } from "./tools.js";
import { compareVlan, framesPerStep, VLAN_HOST_ORACLE } from "./vlan-compare.js";
import { VlanOracle } from "./vlan-oracle.js";
import { HOST_NIC, subifScenarios, VLAN_PORTS, vlanScenarios } from "./vlan-scenarios.js";
import { runVnetSubif, runVnetVlan } from "./vlan-vnet.js";

const RUN = process.env.VNET_VM === "1";
/** Wall-clock bounds (ms): the guest's life, and its boot (hook). */
const GUEST_TIMEOUT = 150_000;
const BOOT_TIMEOUT = 90_000;

describe.skipIf(!RUN)("VLAN scenarios: vnet's bridge vs the Linux 6.1 bridge in a QEMU guest", () => {
  let oracle: VlanOracle | null = null;
  let skipReason = "";
  let work = "";
  let failed = false;

  beforeAll(async () => {
    const tools = findVmTools();
    if (typeof tools === "string") {
      if (inCi()) throw new Error(`the VLAN oracle guest cannot run in CI: ${tools}`);
      console.warn(`VLAN scenarios skipped: ${tools}`);
      skipReason = tools;
      return;
    }
    work = mkdtempSync(join(tmpdir(), "vnet-vlan-"));
    try {
      oracle = await VlanOracle.boot(tools, work, GUEST_TIMEOUT);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      // The host's iproute2 missing is a tool problem (skip locally); anything else is a failure.
      if (/iproute2|ldd/.test(why.split("\n")[0]) && !inCi()) {
        console.warn(`VLAN scenarios skipped: ${why.split("\n")[0]}`);
        skipReason = why.split("\n")[0];
        return;
      }
      failed = true;
      throw e;
    }
  }, BOOT_TIMEOUT);

  afterAll(async () => {
    await oracle?.close();
    if (work === "") return;
    if (failed || process.env.VNET_VM_KEEP === "1") console.warn(`VLAN oracle work directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  vlanScenarios().forEach((sc, i) => {
    it(`${sc.name}: every port sends what Linux sends, in order, byte for byte`, async (ctx) => {
      if (oracle === null) {
        ctx.skip(skipReason || "the oracle guest is not running");
        return;
      }
      const vnet = runVnetVlan(sc);
      try {
        await oracle.configure(sc, i + 1);
        const linux = await oracle.run(sc, framesPerStep(sc, vnet));
        const r = compareVlan(sc, linux.slice(0, VLAN_PORTS), vnet);
        expectFaithful(r);
        // The host NIC eth4 is no bridge port: nothing reaches it.
        expect(linux[VLAN_PORTS]).toEqual([]);
        // Not vacuous: the scenario made the bridge send frames, and every port was compared.
        expect(r.ports.length).toBe(sc.ports.length);
        expect(r.ports.reduce((n, p) => n + p.equal, 0)).toBeGreaterThan(0);
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  });

  // After the bridge scenarios (the guest's sub-interfaces stay once made).
  subifScenarios().forEach((sc) => {
    it(`${sc.name}: the host answers what Linux answers, byte for byte`, async (ctx) => {
      if (oracle === null) {
        ctx.skip(skipReason || "the oracle guest is not running");
        return;
      }
      const vnet = runVnetSubif(sc);
      try {
        const strayBefore = oracle.stray;
        await oracle.configureHost(sc);
        const linux = await oracle.run(sc, framesPerStep(sc, vnet));
        // Linux sends nothing when the sub-interfaces get their addresses (no gratuitous ARP without
        // arp_notify); vnet's `addAddress` sends one, which is not compared (see vlan-vnet.ts).
        expect(oracle.stray - strayBefore).toBe(0);
        const r = compareVlan(sc, [linux[HOST_NIC - 1]], vnet, ["eth4"], VLAN_HOST_ORACLE);
        expectFaithful(r);
        expect(r.ports[0].equal).toBeGreaterThan(0);
        // The bridge ports heard nothing of it.
        expect(linux.slice(0, VLAN_PORTS).flat()).toEqual([]);
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  });
});
