/**
 * Topologies beyond the five examples, run end to end: per-VM NAT (QEMU slirp), the libvirt NAT
 * flavour, extra routers, mixed modes on one host (libvirt-like isolation of host-only networks), link
 * impairments and faults on the timeline, the parametric generators, and captures written to files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readCaptureBytes } from "../captures/index.js";
import { ms, s } from "../sim/time.js";
import { topology } from "./builder.js";
import { generateTopology } from "./generators.js";
import type { PingReport, RunReport } from "./report.js";
import { runTopology } from "./run.js";

function ping(r: RunReport, from: string, to: string, at?: number): PingReport {
  const p = r.pings.find((x) => x.from === from && x.to === to && (at === undefined || x.at === at));
  if (!p) throw new Error(`no ping ${from} -> ${to}`);
  return p;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("NAT variants", () => {
  it("per-VM NAT (slirp): each VM alone on its own 10.0.2.0/24, each instance masquerading to its own address", () => {
    const spec = topology("slirp", { duration: s(20) })
      .network("user", { mode: "nat", perVm: true })
      .vm("vm1", { nics: ["user"] })
      .vm("vm2", { nics: ["user"] })
      .ping(s(5), { from: "vm1", to: "web", count: 2 })
      .ping(s(5), { from: "vm2", to: "web", count: 2 })
      .ping(s(5), { from: "vm1", to: "web.example.net", count: 2 })
      .build();
    const r = runTopology(spec).report;
    // Both get slirp's first address, from two different DHCP servers.
    expect(r.leases.map((l) => [l.vm, l.ip, l.router, l.dns])).toEqual([
      ["vm1", "10.0.2.15", "10.0.2.2", ["10.0.2.3"]],
      ["vm2", "10.0.2.15", "10.0.2.2", ["10.0.2.3"]],
    ]);
    expect(r.dhcp.map((d) => d.node)).toEqual(["user-vm1", "user-vm2"]);
    expect(ping(r, "vm1", "web").received).toBe(2);
    expect(ping(r, "vm2", "web").received).toBe(2);
    expect(ping(r, "vm1", "web.example.net").received).toBe(2);
    expect(r.nat.map((n) => [n.node, n.networks])).toEqual([
      ["user-vm1", ["user"]],
      ["user-vm2", ["user"]],
    ]);
    expect(r.nat[0].conntrack).toMatch(
      /icmp .* src=10\.0\.2\.15 dst=198\.51\.100\.10 .* src=198\.51\.100\.10 dst=198\.51\.100\.201 /,
    );
    expect(r.nat[1].conntrack).toMatch(
      /icmp .* src=10\.0\.2\.15 dst=198\.51\.100\.10 .* src=198\.51\.100\.10 dst=198\.51\.100\.202 /,
    );
    // No bridge: the VM's NIC is linked straight to its NAT instance.
    expect(r.ports.map((p) => p.name).slice(0, 4)).toEqual([
      "vm1.eth0",
      "vm2.eth0",
      "user-vm1.uplink",
      "user-vm1.eth0",
    ]);
  });

  it("libvirt flavour: 192.168.122.0/24 with gateway, DNS and DHCP on .1", () => {
    const r = runTopology(
      topology("virbr0", { duration: s(15) })
        .network("default", { mode: "nat", flavor: "libvirt" })
        .vm("vm1", { nics: ["default"] })
        .ping(s(5), { from: "vm1", to: "web.example.net", count: 2 })
        .build(),
    ).report;
    expect(r.leases[0]).toMatchObject({
      ip: "192.168.122.8", // dnsmasq's MAC-hash choice for vm1's MAC in .2-.254
      router: "192.168.122.1",
      dns: ["192.168.122.1"],
      server: "192.168.122.1",
    });
    expect(ping(r, "vm1", "web.example.net")).toMatchObject({ dst: "198.51.100.10", received: 2 });
  });

  it("RFC 4787 behaviour is passed to the NAT; two shared NAT networks share the host's table", () => {
    const r = runTopology(
      topology("two-nats", { duration: s(15) })
        .network("a", { mode: "nat", nat: { behaviour: "symmetric" } })
        .network("b", { mode: "nat", nat: { behaviour: "symmetric" } })
        .vm("va", { nics: ["a"] })
        .vm("vb", { nics: ["b"] })
        .ping(s(5), { from: "va", to: "web", count: 1 })
        .ping(s(5), { from: "vb", to: "web", count: 1 })
        .ping(s(5), { from: "va", to: "vb", count: 1 })
        .build(),
    ).report;
    expect(r.leases.map((l) => l.ip)).toEqual(["10.0.2.15", "10.0.3.15"]);
    expect(r.nat.map((n) => [n.node, n.networks])).toEqual([["host", ["a", "b"]]]);
    expect(ping(r, "va", "web").received).toBe(1);
    expect(ping(r, "vb", "web").received).toBe(1);
    // libvirt's rules: no forwarding between two NAT networks.
    expect(ping(r, "va", "vb").received).toBe(0);
    expect(r.hostFilterDrops["nat-crossing"]).toBeGreaterThan(0);
  });
});

describe("mixed modes on one host (libvirt-like forwarding rules)", () => {
  it("a host-only VM with a route via the host still cannot get out while the host forwards for NAT", () => {
    const r = runTopology(
      topology("mixed", { duration: s(15) })
        .network("ho", { mode: "host-only" })
        .network("lan", { mode: "nat" })
        .vm("a", { nics: ["ho"], routes: [{ to: "default", via: "192.168.56.1" }] })
        .vm("b", { nics: ["lan"] })
        .ping(s(5), { from: "a", to: "web", count: 2 })
        .ping(s(5), { from: "b", to: "web", count: 2 })
        .ping(s(5), { from: "a", to: "host", count: 2 })
        .build(),
    ).report;
    expect(r.nodes.find((n) => n.name === "host")?.forwarding).toBe(true);
    expect(ping(r, "b", "web").received).toBe(2);
    expect(ping(r, "a", "host")).toMatchObject({ dst: "192.168.56.1", received: 2 });
    expect(ping(r, "a", "web").received).toBe(0);
    expect(r.hostFilterDrops["host-only"]).toBe(2);
  });
});

describe("routers", () => {
  it("a router between two isolated segments, with static routes in the VMs", () => {
    const r = runTopology(
      topology("routed-lab", { duration: s(10) })
        .network("a", { mode: "isolated", subnet: "10.1.0.0/24" })
        .network("b", { mode: "isolated", subnet: "10.2.0.0/24" })
        .router("r1", {
          interfaces: [
            { network: "a", ip: "10.1.0.1/24" },
            { network: "b", ip: "10.2.0.1/24" },
          ],
        })
        .vm("h1", { nics: [{ network: "a", ip: "10.1.0.10/24", gateway: "10.1.0.1" }] })
        .vm("h2", {
          nics: [{ network: "b", ip: "10.2.0.10/24" }],
          routes: [{ to: "10.1.0.0/16", via: "10.2.0.1" }],
        })
        .ping(s(1), { from: "h1", to: "h2", count: 3 })
        .ping(s(1), { from: "h1", to: "r1", count: 1 })
        .ping(s(1), { from: "h1", to: "h2", count: 1, ttl: 1 })
        .build(),
    ).report;
    expect(ping(r, "h1", "h2")).toMatchObject({ dst: "10.2.0.10", sent: 3, received: 3 });
    expect(ping(r, "h1", "r1")).toMatchObject({ dst: "10.1.0.1", received: 1 });
    // TTL 1 through a router: ICMP time exceeded, as Linux forwards.
    const ttl1 = r.pings.filter((p) => p.from === "h1" && p.to === "h2")[1];
    expect(ttl1).toMatchObject({ received: 0, errors: { "Time to live exceeded": 1 } });
    expect(r.nodes.find((n) => n.name === "r1")?.routes.split("\n")).toEqual([
      "10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.1",
      "10.2.0.0/24 dev eth1 proto kernel scope link src 10.2.0.1",
    ]);
  });
});

describe("impairments and faults on the timeline", () => {
  it("a lossy link loses flow datagrams, deterministically per seed", () => {
    const make = (seed: number) =>
      runTopology(
        topology("lossy", { seed, duration: s(10) })
          .network("lan", { mode: "isolated", subnet: "10.0.0.0/24" })
          .vm("tx", { nics: [{ network: "lan", link: { loss: 0.1, delay: ms(1), rate: 10e6 } }] })
          .vm("rx", { nics: ["lan"] })
          .flow(s(1), { from: "tx", to: "rx", port: 5001, rate: 1e6, size: 500, duration: s(4) })
          .build(),
      ).report.flows[0];
    const a = make(1);
    expect(a).toMatchObject({ sent: 1000, bytes: 500_000, dst: "10.0.0.11" });
    expect(a.received).toBeGreaterThan(850);
    expect(a.received).toBeLessThan(950);
    expect(a.receivedBytes).toBe((a.received ?? 0) * 500);
    expect(make(1)).toEqual(a);
    expect(make(2).received).not.toBe(a.received);
  });

  it("link down / up and stop: pings lost while the NIC has no link, a stopped VM neither answers nor starts traffic", () => {
    const r = runTopology(
      topology("faults", { duration: s(30) })
        .network("lan", { mode: "isolated", subnet: "10.0.0.0/24" })
        .vm("vm1", { nics: ["lan"] })
        .vm("vm2", { nics: ["lan"] })
        .ping(s(1), { from: "vm1", to: "vm2", count: 10, interval: s(1) })
        .linkDown(s(3.5), "vm2.eth0")
        .linkUp(s(6.5), "vm2.eth0")
        .stop(s(15), "vm2")
        .ping(s(16), { from: "vm1", to: "vm2", count: 3 })
        .ping(s(16), { from: "vm2", to: "vm1", count: 3 })
        .start(s(25), "vm2")
        .ping(s(26), { from: "vm1", to: "vm2", count: 2 })
        .build(),
    ).report;
    // Requests at 1..10 s; those at 4, 5 and 6 s find vm2 without link.
    expect(ping(r, "vm1", "vm2", s(1))).toMatchObject({ sent: 10, received: 7 });
    expect(ping(r, "vm1", "vm2", s(16))).toMatchObject({ sent: 3, received: 0 });
    expect(ping(r, "vm2", "vm1", s(16))).toMatchObject({ sent: 0, error: "vm2 is stopped" });
    expect(ping(r, "vm1", "vm2", s(26))).toMatchObject({ sent: 2, received: 2 });
    expect(r.faults.map((f) => `${f.fault} ${f.target} ${f.applied}`)).toEqual([
      "link-down vm2.eth0 true",
      "link-up vm2.eth0 true",
      "stop vm2 true",
      "start vm2 true",
    ]);
  });
});

describe("generators", () => {
  it("linear,4: h1 reaches h4 across four bridges", () => {
    const r = runTopology(generateTopology("linear,4")).report;
    expect(ping(r, "h1", "h4")).toMatchObject({ dst: "10.0.0.4", sent: 3, received: 3 });
  });

  it("star,16: sixteen VMs lease, reach vm1, and vm1 reaches the outside", () => {
    const r = runTopology(generateTopology("star,16")).report;
    expect(r.leases.map((l) => l.ip)).toEqual(
      Array.from({ length: 16 }, (_, i) => `10.0.2.${15 + i}`).slice(0, 16),
    );
    for (let i = 2; i <= 16; i++) expect(ping(r, `vm${i}`, "vm1").received, `vm${i}`).toBe(3);
    expect(ping(r, "vm1", "web").received).toBe(3);
  });
});

describe("captures", () => {
  it("one pcap per captured port in the capture directory, the same bytes as in memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "vnet-topo-"));
    dirs.push(dir);
    const spec = topology("cap", { duration: s(8) })
      .network("lan", { mode: "nat" })
      .vm("vm1", { nics: ["lan"] })
      .ping(s(5), { from: "vm1", to: "web", count: 1 })
      .captures(["vm1.eth0", "outside"])
      .build();
    const onDisk = runTopology(spec, { captureDir: dir });
    const inMemory = runTopology(spec);
    // The pcaps, and the run directory's files (replay.test.ts): run.json, the spec, the edge recording.
    expect(readdirSync(dir).sort()).toEqual([
      "dns-eth0.pcap",
      "edges.pcapng",
      "gw-eth0.pcap",
      "host-uplink.pcap",
      "run.json",
      "topology.json",
      "vm1-eth0.pcap",
      "web-eth0.pcap",
    ]);
    expect(onDisk.report.captures.map((c) => c.file)).toEqual(
      ["vm1-eth0.pcap", "host-uplink.pcap", "gw-eth0.pcap", "web-eth0.pcap", "dns-eth0.pcap"].map((f) =>
        join(dir, f),
      ),
    );
    for (const [name, bytes] of inMemory.captures)
      expect(Buffer.from(readFileSync(join(dir, name))).equals(Buffer.from(bytes)), name).toBe(true);
    // vm1's capture starts at time 0 with its DHCP DISCOVER (captures attach before anything is sent).
    const first = [...readCaptureBytes(inMemory.captures.get("vm1-eth0.pcap")!, "vm1")][0];
    expect(first.tsFrac).toBe(0);
    expect(first.data[23]).toBe(17); // IPv4 protocol: UDP
    expect((first.data[36] << 8) | first.data[37]).toBe(67); // to the DHCP server port
  });
});

describe("runs", () => {
  it("report progress slice by slice up to the duration", () => {
    const seen: number[] = [];
    runTopology(
      topology("p", { duration: s(10) })
        .network("lan", { mode: "host-only" })
        .build(),
      {
        slices: 4,
        onProgress: (now, end) => {
          expect(end).toBe(s(10));
          seen.push(now);
        },
      },
    );
    expect(seen).toEqual([s(2.5), s(5), s(7.5), s(10)]);
  });

  it("a router route whose gateway is on none of its interfaces is a topology error", () => {
    expect(() =>
      topology("t")
        .network("a", { mode: "isolated", subnet: "10.1.0.0/24" })
        .router("r", {
          interfaces: [{ network: "a", ip: "10.1.0.1/24" }],
          routes: [{ to: "10.9.0.0/16", via: "10.2.0.1" }],
        })
        .build(),
    ).toThrow("t: routers.r.routes[0].via: gateway 10.2.0.1 is on none of r's interfaces (10.1.0.1/24)");
  });
});

describe("isolation (property)", () => {
  it("random isolated networks in one subnet: no frame crosses from one segment to another, no ping across is answered", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 1000 }),
        (nets, sizes, pairs, seed) => {
          const b = topology("iso", { seed, duration: s(6) });
          const vms: { name: string; net: number }[] = [];
          for (let i = 0; i < nets; i++) {
            // Every segment uses the same subnet: only the bridges keep them apart.
            b.network(`n${i}`, { mode: "isolated", subnet: "10.0.0.0/24" });
            for (let k = 0; k < sizes[i]; k++) {
              const name = `v${i}x${k}`;
              vms.push({ name, net: i });
              b.vm(name, { nics: [{ network: `n${i}`, ip: `10.0.0.${10 + vms.length}/24` }] });
            }
          }
          for (const [x, y] of pairs) {
            const from = vms[x % vms.length];
            const to = vms[y % vms.length];
            if (from !== to)
              b.ping(s(1), { from: from.name, to: `10.0.0.${10 + vms.indexOf(to) + 1}`, count: 2 });
          }
          const { report: r, captures } = runTopology(b.build());
          const netOfMac = new Map(r.addresses.map((a) => [a.mac, a.network]));
          let frames = 0;
          for (const [file, bytes] of captures) {
            const node = file.replace(/-eth0\.pcap$/, "");
            const vm = vms.find((v) => v.name === node);
            if (!vm) continue;
            for (const rec of readCaptureBytes(bytes, file)) {
              const src = [...rec.data.subarray(6, 12)].map((x) => x.toString(16).padStart(2, "0")).join(":");
              expect(netOfMac.get(src), `${file}: frame from ${src}`).toBe(`n${vm.net}`);
              frames++;
            }
          }
          expect(frames).toBeGreaterThan(0);
          for (const p of r.pings) {
            const from = vms.find((v) => v.name === p.from)!;
            const to = vms[Number(p.to.split(".")[3]) - 11];
            expect(p.received, `${p.from} -> ${p.to}`).toBe(from.net === to.net ? p.sent : 0);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
