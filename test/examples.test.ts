/**
 * The example programs (examples/*.ts) and the determinism test over them.
 *
 * 1. Determinism (DESIGN.md principle 1): every example run twice with the same seed gives captures
 *    whose sha256 are equal, file by file (each per-port pcap and the pcapng); where randomness is used
 *    (impaired-link: loss and jitter), another seed gives different captures.
 * 2. Each example shows what it claims, read from its result and from its own captures: Linux bridge
 *    flooding, learning and ageing (three-vms); vlan_filtering access/trunk semantics (vlans); netem-like
 *    impairments (impaired-link); 802.1D-2004 RSTP on a loop (rstp-triangle).
 * 3. The installed tcpdump reads every capture the examples write (`tcpdump -r F` exits 0 and prints
 *    one line per record). Without tcpdump this part is skipped, except under CI (test/shared.ts).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCaptureBytes } from "../captures/reader.js";
import type { ExampleResult } from "../examples/common.js";
import { run as impairedLink } from "../examples/impaired-link.js";
import { run as rstpTriangle } from "../examples/rstp-triangle.js";
import { run as threeVms } from "../examples/three-vms.js";
import { run as vlans } from "../examples/vlans.js";
import { readMac } from "../wire/addr.js";
import { tool, toolPath } from "./shared.js";

const haveTcpdump = tool("tcpdump");

const EXAMPLES: readonly { name: string; run: (o: { seed?: number; outDir?: string }) => ExampleResult }[] = [
  { name: "three-vms", run: threeVms },
  { name: "vlans", run: vlans },
  { name: "impaired-link", run: impairedLink },
  { name: "rstp-triangle", run: rstpTriangle },
];

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** sha256 of every capture of a result: each port's pcap by name, and the pcapng as "*". */
function digests(r: ExampleResult): Record<string, string> {
  const out: Record<string, string> = { "*": sha256(r.pcapng) };
  for (const [name, bytes] of r.captures) out[name] = sha256(bytes);
  return out;
}

/** The frames of an in-memory capture (copies). */
function frames(bytes: Uint8Array): Uint8Array[] {
  return [...readCaptureBytes(bytes, "capture")].map((r) => r.data.slice());
}

const etherType = (f: Uint8Array) => (f[12] << 8) | f[13];
const arpOp = (f: Uint8Array) => (etherType(f) === 0x0806 ? (f[20] << 8) | f[21] : 0);
const isBpdu = (f: Uint8Array) => f[0] === 0x01 && f[1] === 0x80 && f[2] === 0xc2 && f[5] === 0;

describe("examples are deterministic (same seed → byte-identical captures)", () => {
  for (const ex of EXAMPLES) {
    it(`${ex.name}: two runs with seed 7 give the same sha256 for every capture`, () => {
      const a = ex.run({ seed: 7 });
      const b = ex.run({ seed: 7 });
      expect(a.name).toBe(ex.name);
      expect(a.captures.size).toBeGreaterThan(1);
      for (const bytes of a.captures.values()) expect(frames(bytes).length).toBeGreaterThan(0);
      expect(digests(b)).toEqual(digests(a));
      expect(b.report).toBe(a.report);
    });
  }

  it("impaired-link: another seed gives other loss and jitter draws, so other captures", () => {
    const a = impairedLink({ seed: 1 });
    const b = impairedLink({ seed: 2 });
    expect(sha256(b.pcapng)).not.toBe(sha256(a.pcapng));
    // The sender's side is the same 400 datagrams (only MACs change with the seed); the arrivals differ.
    expect(frames(a.captures.get("vm1-tap") as Uint8Array).length).toBe(400);
    expect(frames(b.captures.get("vm1-tap") as Uint8Array).length).toBe(400);
    expect([a.latency, a.received]).not.toEqual([b.latency, b.received]);
  });
});

describe("three-vms: Linux bridge flooding, learning and ageing (300 s)", () => {
  const r = threeVms();
  const seen = (what: string) => r.deliveries.filter((d) => d.what.startsWith(what)).map((d) => d.seenOn);

  it("the ARP request (broadcast) floods to every other VM; the reply is unicast to vm1 only", () => {
    expect(seen("ARP who-has")).toEqual([["vm2-tap", "vm3-tap"]]);
    expect(seen("ARP reply")).toEqual([["vm1-tap"]]);
    // Read from the captures: the request is on all three TAPs, the reply never reaches vm3's.
    const count = (port: string, op: number) =>
      frames(r.captures.get(port) as Uint8Array).filter((f) => arpOp(f) === op).length;
    expect(["vm1-tap", "vm2-tap", "vm3-tap"].map((p) => count(p, 1))).toEqual([1, 1, 1]);
    expect(["vm1-tap", "vm2-tap", "vm3-tap"].map((p) => count(p, 2))).toEqual([1, 1, 0]);
  });

  it("a learned destination is reached by unicast; an unknown one floods; replies are unicast", () => {
    expect(seen("ICMP echo request 10.0.0.1 > 10.0.0.2 seq 1")).toEqual([["vm2-tap"]]);
    expect(seen("ICMP echo request 10.0.0.1 > 10.0.0.3 seq 2")).toEqual([["vm2-tap", "vm3-tap"]]);
    expect(seen("ICMP echo reply")).toEqual([["vm1-tap"], ["vm1-tap"], ["vm1-tap"]]);
  });

  it("after 301 s of silence the table is empty and the next frame to vm2 floods again", () => {
    expect(r.fdbLearned.split("\n")).toHaveLength(3);
    expect(r.fdbAged).toBe("");
    expect(seen("ICMP echo request 10.0.0.1 > 10.0.0.2 seq 3")).toEqual([["vm2-tap", "vm3-tap"]]);
    expect(r.report).toContain("bridge fdb show");
    expect(r.report).toMatch(/dev br0-vm1 master br0/);
    // Counters: vm1 wrote 4 frames (ARP + 3 pings) and was handed 4 (reply + 3 echo replies).
    expect(r.counters.get("vm1-tap")).toMatchObject({
      rxPackets: 4,
      txPackets: 4,
      rxDropped: 0,
      txDropped: 0,
    });
  });
});

describe("vlans: Linux vlan_filtering access and trunk ports", () => {
  const r = vlans();
  const seen = (from: string, what: string) =>
    r.deliveries.filter((d) => d.from === from && d.what.startsWith(what)).map((d) => d.seenOn);

  it("the same VLAN reaches across the trunk; another VLAN does not", () => {
    expect(seen("vmA", "ARP who-has 10.0.0.3")).toEqual([["vmC-tap"]]);
    expect(seen("vmC", "ARP reply")).toEqual([["vmA-tap"]]);
    expect(seen("vmA", "ICMP echo request")).toEqual([["vmC-tap"]]);
    // vmD is in vmA's IP subnet but in VLAN 20: the broadcast stays in VLAN 10, nobody answers.
    expect(seen("vmA", "ARP who-has 10.0.0.4")).toEqual([["vmC-tap"]]);
    expect(seen("vmD", "ARP reply")).toEqual([["vmB-tap"]]);
    // Read from the captures: nothing from vmA ever appears on VLAN 20's TAPs.
    const vmAMac = readMac(frames(r.captures.get("vmA-tap") as Uint8Array)[0], 6);
    for (const port of ["vmB-tap", "vmD-tap"]) {
      const srcs = frames(r.captures.get(port) as Uint8Array).map((f) => readMac(f, 6));
      expect(srcs).not.toContain(vmAMac);
    }
  });

  it("the trunk carries 802.1Q tags (10 and 20); access ports carry untagged frames", () => {
    for (const port of ["sw1-trunk", "sw2-trunk"]) {
      const vids = r.vlansSeen.get(port) ?? [];
      expect(vids.length).toBeGreaterThan(0);
      expect(new Set(vids)).toEqual(new Set([10, 20]));
      for (const f of frames(r.captures.get(port) as Uint8Array)) expect(etherType(f)).toBe(0x8100);
    }
    for (const port of ["vmA-tap", "vmB-tap", "vmC-tap", "vmD-tap"]) {
      expect(new Set(r.vlansSeen.get(port))).toEqual(new Set([0]));
      for (const f of frames(r.captures.get(port) as Uint8Array)) expect(etherType(f)).not.toBe(0x8100);
    }
  });
});

describe("impaired-link: netem-like delay, jitter, rate and loss", () => {
  const r = impairedLink();

  it("every datagram is delivered or counted as lost, and some are lost at 1 %", () => {
    expect(r.ab.offered).toBe(r.sent);
    expect(r.ab.delivered + r.ab.dropped).toBe(r.sent);
    expect(r.received).toBe(r.ab.delivered);
    expect(r.ab.dropped).toBeGreaterThan(0);
    expect(r.ab.dropReasons).toEqual({ loss: r.ab.dropped });
    expect(frames(r.captures.get("vm2-tap") as Uint8Array)).toHaveLength(r.received);
    expect(r.report).toContain(`vm2 received ${r.received}`);
  });

  it("latency: at least delay − jitter, and bursts queue behind the 10 Mbit/s line", () => {
    // 1042-byte frames at 10 Mbit/s: 833.6 µs each; a burst of 20 waits up to 19 of them.
    expect(r.latency.min).toBeGreaterThanOrEqual(8_000_000 + 833_600);
    expect(r.latency.max).toBeGreaterThan(10_000_000 + 15 * 833_600);
    expect(r.ab.maxQueued).toBeGreaterThanOrEqual(15);
  });
});

describe("rstp-triangle: 802.1D-2004 RSTP breaks the loop", () => {
  const r = rstpTriangle();

  it("elects A (lowest bridge ID) as root and blocks exactly one port, C's alternate toward B", () => {
    expect(r.stp.map((s) => s.rootId)).toEqual(Array(3).fill("8000.02:00:00:00:01:00"));
    expect(r.stp[0].rootPort).toBeNull();
    expect(r.blocked).toEqual(["C.C-B:alternate"]);
    expect(r.report).toContain("C-B    alternate  discarding");
  });

  it("a broadcast then crosses each link once, in one direction, and reaches each VM once", () => {
    const pair = (x: string, y: string) => (r.dataSent.get(x) ?? 0) + (r.dataSent.get(y) ?? 0);
    expect([pair("A-B", "B-A"), pair("A-C", "C-A"), pair("B-C", "C-B")]).toEqual([1, 1, 1]);
    expect(r.deliveries.map((d) => d.seenOn)).toEqual([["vm2-tap", "vm3-tap"]]);
    for (const port of ["vm2-tap", "vm3-tap"]) {
      const data = frames(r.captures.get(port) as Uint8Array).filter((f) => !isBpdu(f));
      expect(data).toHaveLength(1);
    }
    // The copy B sent toward C was discarded by C's alternate port.
    expect(r.counters.get("C-B")?.dropReasons["stp-state"]).toBe(1);
  });
});

describe.skipIf(!haveTcpdump)("tcpdump reads every capture the examples write", () => {
  const dir = mkdtempSync(join(tmpdir(), "vnet-examples-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const ex of EXAMPLES) {
    it(`${ex.name}: NAME.pcapng and each port's pcap`, () => {
      const r = ex.run({ outDir: dir });
      expect(r.files).toEqual([join(dir, `${ex.name}.pcapng`)]);
      expect(new Uint8Array(readFileSync(r.files[0]))).toEqual(r.pcapng);
      const files: [string, Uint8Array][] = [[r.files[0], r.pcapng]];
      for (const [port, bytes] of r.captures) {
        const f = join(dir, `${ex.name}-${port}.pcap`);
        writeFileSync(f, bytes);
        files.push([f, bytes]);
      }
      for (const [f, bytes] of files) {
        const out = spawnSync(toolPath("tcpdump"), ["-nn", "-r", f], { encoding: "utf8", timeout: 30_000 });
        expect(out.status, `${f}: ${out.stderr}`).toBe(0);
        const lines = out.stdout.split("\n").filter((l) => /^\d\d:\d\d:\d\d\./.test(l));
        expect(lines, f).toHaveLength(frames(bytes).length);
      }
    });
  }
});
