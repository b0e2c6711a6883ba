/**
 * `vnet serve` end to end, with a stand-in for the real VM of the project's own: a guest/ Guest in a
 * simulator of its own, driven in real time by a second RealtimeDriver and connected over the unix socket
 * the way QEMU's `-netdev stream` is. It gets a lease, pings the gateway and the simulated outside through
 * NAT; then the session directory is replayed in virtual time and every capture must be byte-identical.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RealtimeDriver, StreamPeer, waitUntil } from "../attach/index.js";
import { Guest, type PingResult } from "../guest/index.js";
import { connect, Port } from "../netdev/index.js";
import { Simulator } from "../sim/index.js";
import { ms } from "../sim/time.js";
import { parseTopologyYaml, replayRun } from "../topology/index.js";
import { formatIpv4, parseMac } from "../wire/addr.js";
import { quietVms, startServe } from "./serve.js";

const TOPO = `
name: serve-test
seed: 3
networks:
  lan: { mode: nat }
vms:
  vm1: { nics: [lan], udp-echo: 7 }
  vm2: { nics: [lan] }
traffic:
  - { at: 100ms, ping: { from: vm2, to: web, count: 2, interval: 200ms } }
  - { at: 200ms, ping: { from: vm2, to: vm1, count: 2 } }
`;

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-serve-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function pingDone(p: { onDone(h: (r: PingResult) => void): void }): Promise<PingResult> {
  return new Promise((r) => p.onDone(r));
}

/** Runs `fn` inside the real-time simulation (at the wall clock's instant) and returns what it made. */
function inSim<T>(d: RealtimeDriver, fn: () => T): T {
  let out: T | undefined;
  d.inject(() => {
    out = fn();
  }, undefined);
  return out as T;
}

describe("quietVms (the stand-ins of real VMs)", () => {
  it("keeps NICs (network, MAC) but no address, routes or apps; drops traffic that involves them", () => {
    const spec = parseTopologyYaml(TOPO, "t.yaml");
    const { spec: q, dropped } = quietVms(spec, new Set(["vm1"]));
    expect(q.vms.vm1).toEqual({ nics: [{ network: "lan", ip: "none" }] });
    expect(q.vms.vm2).toEqual(spec.vms.vm2);
    expect(q.traffic?.length).toBe(1);
    expect(dropped.length).toBe(1);
  });
});

describe("vnet serve", () => {
  it("serves a real VM (a guest of our own over the unix socket), and the session replays byte for byte", async () => {
    const log: string[] = [];
    const spec = parseTopologyYaml(TOPO, "t.yaml");
    const session = await startServe(
      { spec },
      { listen: { kind: "unix", path: dir }, dir, vms: ["vm1"], log: (l) => log.push(l) },
    );
    expect(session.nics.length).toBe(1);
    const nic = session.nics[0];
    expect(nic.edge).toBe("vm1.eth0");
    expect(nic.mac).toMatch(/^52:54:00:/);
    const sock = join(dir, "vm1.eth0.sock");
    expect(nic.qemuArgs).toEqual([
      "-netdev",
      `stream,id=vm1-eth0,server=off,addr.type=unix,addr.path=${sock}`,
      "-device",
      `virtio-net-pci,netdev=vm1-eth0,mac=${nic.mac}`,
    ]);

    // The "real VM": its own simulator in real time, its NIC's wire carried over the socket.
    const sim2 = new Simulator({ seed: 99 });
    const vm = new Guest(sim2, "real-vm1");
    const gn = vm.addNic("eth0", { mac: parseMac(nic.mac) });
    const wire = new Port(sim2, "qemu");
    connect(sim2, gn.port, wire);
    const d2 = new RealtimeDriver(sim2);
    const peer = await StreamPeer.connect({ kind: "unix", path: sock }, { keep: false });
    const into = (f: Uint8Array): void => void wire.send(f);
    peer.onFrame((f) => d2.inject(into, f.slice()));
    wire.onReceive((f) => peer.send(f));
    d2.start();
    try {
      await waitUntil(
        () => nic.attach.carrier,
        3000,
        () => "carrier",
      );
      d2.inject(() => vm.dhcp(gn), undefined);
      await waitUntil(
        () => gn.iface.primaryAddress !== null,
        10_000,
        () => "a DHCP lease from vnet",
      );
      // vm2 (simulated) asked at time 0 and got .15; the real VM comes next.
      expect(formatIpv4(gn.iface.primaryAddress!)).toBe("10.0.2.16");
      const gw = await pingDone(inSim(d2, () => vm.ping("10.0.2.2", { count: 2, interval: ms(50) })));
      expect(gw.received).toBe(2);
      const web = await pingDone(inSim(d2, () => vm.ping("198.51.100.10", { count: 2, interval: ms(50) })));
      expect(web.received).toBe(2);
    } finally {
      d2.stop();
    }
    const result = await session.stop();
    await peer.closed;
    expect(log.some((l) => l.includes("connected (carrier up)"))).toBe(true);
    expect(result.record.edges.frames).toBeGreaterThan(5);
    expect(result.record.captures.map((c) => c.file)).toContain("vm1-eth0.pcap");
    expect(existsSync(join(dir, "attach.json"))).toBe(true);
    const attach = JSON.parse(readFileSync(join(dir, "attach.json"), "utf8")) as {
      nics: { counters: { rxFrames: number }; injected: { injected: number } }[];
    };
    expect(attach.nics[0].injected.injected).toBe(attach.nics[0].counters.rxFrames);
    expect(result.report.leases.some((l) => l.vm === "vm2" && l.ip === "10.0.2.15")).toBe(true);

    // Replay the session in virtual time: every capture and the edge recording come out identical.
    const replay = replayRun(dir, { captureDir: join(dir, "replay") });
    expect(replay.verification.differ).toEqual([]);
    expect(replay.verification.missing).toEqual([]);
    expect(replay.verification.ok).toBe(true);
    expect(replay.verification.identical.length).toBe(result.record.captures.length);
  });

  it("opens loopback TCP and UDP slots with the matching QEMU flags, and refuses unknown VMs", async () => {
    const spec = parseTopologyYaml(TOPO, "t.yaml");
    const tcp = await startServe(
      { spec },
      {
        listen: { kind: "tcp", host: "127.0.0.1", port: 0 },
        dir: join(dir, "tcp"),
        vms: null,
        log: () => {},
      },
    );
    expect(tcp.nics.map((n) => n.edge)).toEqual(["vm1.eth0", "vm2.eth0"]);
    const port = (tcp.nics[0].backend as { to: { port: number } }).to.port;
    expect(port).toBeGreaterThan(0);
    expect(tcp.nics[0].qemuArgs[1]).toBe(
      `stream,id=vm1-eth0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port}`,
    );
    await tcp.stop();
    const udp = await startServe(
      { spec },
      {
        listen: { kind: "udp", host: "127.0.0.1", port: 0 },
        dir: join(dir, "udp"),
        vms: ["vm2"],
        log: () => {},
      },
    );
    expect(udp.nics.length).toBe(1);
    expect(udp.nics[0].qemuArgs[1]).toMatch(
      /^dgram,id=vm2-eth0,remote\.type=inet,remote\.host=127\.0\.0\.1,remote\.port=\d+,local\.type=inet,local\.host=127\.0\.0\.1,local\.port=\d+$/,
    );
    expect(udp.nics[0].attach.carrier).toBe(true); // a fixed remote: QEMU's local port
    await udp.stop();
    await expect(
      startServe({ spec }, { listen: { kind: "unix", path: dir }, dir, vms: ["vm9"], log: () => {} }),
    ).rejects.toThrow('--attach: no VM "vm9" in serve-test (VMs: vm1, vm2)');
  });

  it("garbage from a VM closes its connection with one line; the network runs on and the session still replays", async () => {
    const log: string[] = [];
    const spec = parseTopologyYaml(TOPO, "t.yaml");
    const session = await startServe(
      { spec },
      { listen: { kind: "unix", path: dir }, dir, vms: ["vm1"], log: (l) => log.push(l) },
    );
    const sock = join(dir, "vm1.eth0.sock");
    const bad = await StreamPeer.connect({ kind: "unix", path: sock });
    bad.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await bad.closed;
    await waitUntil(
      () => session.nics[0].attach.state === "waiting",
      3000,
      () => "closed",
    );
    // vm2's pings (simulated) go on meanwhile; wait until they are done (the first starts at 100 ms).
    await waitUntil(
      () => session.network.sim.now > ms(700),
      5000,
      () => "the simulation runs on",
    );
    const good = await StreamPeer.connect({ kind: "unix", path: sock });
    await waitUntil(
      () => session.nics[0].attach.carrier,
      3000,
      () => "reconnected",
    );
    await good.close();
    const result = await session.stop();
    const closing = log.filter((l) => l.includes("closing the connection"));
    expect(closing).toEqual([
      `attach vm1.eth0 (unix:${sock}): closing the connection from a peer: frame length 4294967295 at stream byte 0 exceeds the maximum 1522 (MTU + Ethernet header + VLAN tags)`,
    ]);
    expect(result.report.pings.find((p) => p.from === "vm2")?.received).toBe(2);
    expect(result.record.edges.frames).toBe(0);
    expect(replayRun(dir, { captureDir: join(dir, "replay") }).verification.ok).toBe(true);
  });
});
