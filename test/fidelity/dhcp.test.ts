/**
 * Differential test: vnet's DHCP server against dnsmasq (issue 6), as libvirt runs it for its
 * "default" network (192.168.122.0/24, server .1, pool .2–.254, 1 h leases, dhcp-authoritative,
 * dhcp-no-override) and as topology/'s `nat`/`libvirt` preset configures vnet's DhcpServer.
 *
 * Each scenario is a script of client frames (wire/ emitters, dhcp-plan.ts) run on both sides: dnsmasq
 * in a network namespace the test creates (tcpreplay in, tcpdump out; dhcp-linux.ts), and vnet on the
 * simulator (dhcp-vnet.ts). A REQUEST names the address that side's OFFER gave. The server's replies
 * are compared field by field (dhcp-compare.ts): Ethernet/IP destination, TTL/DF/TOS, ports, every
 * BOOTP field, the options, their values and their order; other frames the server sends (ARP, ICMP)
 * are compared as a second port. Documented differences: dhcp-known.ts (reasons in docs/fidelity.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIpv4 } from "../../wire/addr.js";
import { DhcpMessageType as T } from "../../wire/dhcp.js";
import { expectFaithful } from "./compare.js";
import { compareSteps, otherSummary } from "./dhcp-compare.js";
import { classifyDhcp, dhcpKnown } from "./dhcp-known.js";
import { DnsmasqLab, dnsmasqSupport, dnsmasqVersion } from "./dhcp-linux.js";
import {
  clientFrame,
  clientMessage,
  type DhcpScript,
  RESERVED,
  replyMessage,
  replyType,
  runScript,
  SERVER_IP,
  SERVER_MAC,
  type StepOutput,
  yiaddrOf,
} from "./dhcp-plan.js";
import { vnetDhcp } from "./dhcp-vnet.js";
import type { ScenarioResult } from "./result.js";

const support = dnsmasqSupport();
if (!support.ok && !process.env.CI)
  console.log(`DHCP (dnsmasq) differential tests skipped: ${support.reason}`);

/** Where dnsmasq's T1/T2 on a renewal come from: `fuzz = rand16()` (rfc2131.c), so they are masked there. */
const RENEW_MASK = new Set(["ip.id", "option.58", "option.59"]);
/**
 * Every reply: the IP ID. dnsmasq's replies leave with DF clear, so Linux draws their ID from a
 * per-destination counter hashed with a boot-time random key (ip_select_ident).
 */
const MASK = new Set(["ip.id"]);

interface DhcpScenario {
  readonly name: string;
  readonly script: DhcpScript;
  /** Step labels whose replies get RENEW_MASK. */
  readonly renewSteps?: readonly string[];
  /** Extra checks on the oracle's own steps (what the reference does, asserted). */
  readonly oracleFacts?: (steps: readonly StepOutput[]) => void;
}

const C = (n: number): string => `52:54:00:12:34:${n.toString(16).padStart(2, "0")}`;

/** DISCOVER → OFFER → REQUEST (selecting) → ACK for `mac`; returns the address bound. */
async function dora(
  rig: Parameters<DhcpScript>[0],
  record: Parameters<DhcpScript>[1],
  mac: string,
  o: { xid: number; broadcast?: boolean; hostname?: string; prefix?: string },
): Promise<string | undefined> {
  const p = o.prefix ?? "";
  const base = {
    xid: o.xid,
    ...(o.broadcast !== undefined && { broadcast: o.broadcast }),
    ...(o.hostname !== undefined && { hostname: o.hostname }),
  };
  const offer = await rig.send(clientFrame(clientMessage(T.Discover, mac, base), mac), 1);
  record(`${p}discover`, offer);
  const addr = yiaddrOf(offer.dhcp);
  if (addr === undefined) return undefined;
  const req = clientMessage(T.Request, mac, { ...base, requested: addr, serverId: SERVER_IP });
  const ack = await rig.send(clientFrame(req, mac), 1);
  record(`${p}request (selecting)`, ack);
  return yiaddrOf(ack.dhcp);
}

const scenarios: DhcpScenario[] = [
  {
    name: "DORA without the broadcast flag (busybox udhcpc)",
    script: async (rig, record) => {
      await dora(rig, record, C(0x56), { xid: 0x1001 });
    },
    oracleFacts: (steps) => {
      // dnsmasq answers a client without the broadcast flag by unicast to yiaddr at chaddr.
      const offer = steps[0].dhcp[0];
      expect(replyType(offer)).toBe(T.Offer);
      expect(Array.from(offer.subarray(0, 6))).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    },
  },
  {
    name: "DORA with the broadcast flag",
    script: async (rig, record) => {
      await dora(rig, record, C(0x57), { xid: 0x2001, broadcast: true });
    },
    oracleFacts: (steps) => {
      const offer = steps[0].dhcp[0];
      expect(Array.from(offer.subarray(0, 6))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    },
  },
  {
    name: "renewal: REQUEST unicast with ciaddr",
    renewSteps: ["request (renewing)"],
    script: async (rig, record) => {
      const mac = C(0x58);
      const addr = await dora(rig, record, mac, { xid: 0x3001 });
      if (addr === undefined) return;
      const m = clientMessage(T.Request, mac, { xid: 0x3002, ciaddr: addr });
      record(
        "request (renewing)",
        await rig.send(clientFrame(m, mac, { ip: SERVER_IP, mac: SERVER_MAC }), 1),
      );
    },
  },
  {
    name: "REQUEST for an address in another subnet: NAK",
    script: async (rig, record) => {
      const mac = C(0x59);
      const m = clientMessage(T.Request, mac, { xid: 0x4001, requested: "10.0.0.5" });
      record("request (init-reboot, 10.0.0.5)", await rig.send(clientFrame(m, mac), 1));
    },
    oracleFacts: (steps) => {
      expect(replyType(steps[0].dhcp[0])).toBe(T.Nak);
    },
  },
  {
    name: "static reservation (dhcp-host MAC,IP,name)",
    script: async (rig, record) => {
      await dora(rig, record, RESERVED.mac, { xid: 0x5001 });
    },
    oracleFacts: (steps) => {
      expect(formatIpv4(replyMessage(steps[0].dhcp[0]).yiaddr)).toBe(RESERVED.ip);
    },
  },
  {
    name: "client host name (option 12)",
    script: async (rig, record) => {
      await dora(rig, record, C(0x5a), { xid: 0x6001, hostname: "vm1" });
    },
  },
  {
    name: "RELEASE, then DISCOVER again",
    script: async (rig, record) => {
      const mac = C(0x5b);
      const addr = await dora(rig, record, mac, { xid: 0x7001 });
      if (addr === undefined) return;
      const rel = clientMessage(T.Release, mac, { xid: 0x7002, ciaddr: addr, serverId: SERVER_IP });
      record("release", await rig.send(clientFrame(rel, mac, { ip: SERVER_IP, mac: SERVER_MAC }), 0));
      const again = await rig.send(clientFrame(clientMessage(T.Discover, mac, { xid: 0x7003 }), mac), 1);
      record("discover after release", again);
    },
    oracleFacts: (steps) => {
      // dnsmasq forgets a released lease; the MAC's hash leads to the same address again.
      const first = yiaddrOf(steps[0].dhcp);
      expect(yiaddrOf(steps[3].dhcp)).toBe(first);
    },
  },
];

function result(
  name: string,
  oracle: readonly StepOutput[],
  vnet: readonly StepOutput[],
  sc: DhcpScenario,
  version: string,
): ScenarioResult {
  const labels = [...new Set([...oracle.map((s) => s.label), ...vnet.map((s) => s.label)])];
  const pick = (side: readonly StepOutput[], l: string, k: "dhcp" | "other") =>
    side.find((s) => s.label === l)?.[k] ?? [];
  const renew = new Set(sc.renewSteps ?? []);
  const dhcpPort = compareSteps(
    "virbr0 (DHCP replies)",
    labels.map((l) => ({
      label: l,
      oracle: pick(oracle, l, "dhcp"),
      vnet: pick(vnet, l, "dhcp"),
      mask: renew.has(l) ? RENEW_MASK : MASK,
    })),
    classifyDhcp,
  );
  const otherPort = compareSteps(
    "virbr0 (other frames)",
    labels.map((l) => ({ label: l, oracle: pick(oracle, l, "other"), vnet: pick(vnet, l, "other") })),
    classifyDhcp,
    otherSummary,
    false,
  );
  return {
    group: "dhcp",
    scenario: name,
    oracle: `dnsmasq ${version} (netns)`,
    ports: [dhcpPort, otherPort],
  };
}

describe.runIf(support.ok)("vnet DHCP server vs dnsmasq (libvirt default network, netns oracle)", () => {
  let lab: DnsmasqLab | null = null;
  let version = "2.90";
  beforeAll(() => {
    version = dnsmasqVersion();
    lab = DnsmasqLab.create();
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  for (const sc of scenarios) {
    it(sc.name, { timeout: 60_000 }, async () => {
      if (!lab) throw new Error("no lab");
      await lab.start();
      let oracle: StepOutput[];
      try {
        oracle = await runScript(lab.rig(), sc.script);
      } finally {
        await lab.stop();
      }
      const v = vnetDhcp();
      const mine = await runScript(v.rig, sc.script);
      const r = result(sc.name, oracle, mine, sc, version);
      if (process.env.VNET_DHCP_DEBUG) {
        const lines = r.ports.flatMap((p) =>
          p.differences.map((d) => `  ${p.port} #${d.index} ${d.what}${d.known ? ` [${d.known}]` : ""}`),
        );
        console.log(
          `${sc.name}: ${r.ports.map((p) => `${p.port} ${p.equal}/${p.oracle}/${p.vnet}`).join(", ")}\n${lines.join("\n")}\n${lab.log}`,
        );
      }
      sc.oracleFacts?.(oracle);
      for (const p of r.ports) for (const d of p.differences) if (d.known !== undefined) dhcpKnown(d.known);
      expectFaithful(r);
    });
  }
});

describe.runIf(!support.ok && !!process.env.CI)("dnsmasq oracle in CI", () => {
  it("has root, the netns tools and dnsmasq", () => {
    expect(support).toEqual({ ok: true });
  });
});
