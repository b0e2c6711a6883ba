import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Tap } from "../netdev/tap.js";
import { Tun } from "../netdev/tun.js";
import { VmNic } from "../netdev/vm-nic.js";
import { Simulator } from "../sim/simulator.js";
import { ms, us } from "../sim/time.js";
import { MAC_BROADCAST, type Mac, writeMac } from "../wire/addr.js";
import {
  CAPTURE_EPOCH_SEC,
  type CaptureOptions,
  CapturePoint,
  capture,
  captureLink,
} from "./capture-point.js";
import { openCapture, readCaptureBytes } from "./reader.js";

// References: libpcap's savefile format (pcap 2.4, µs and ns magics) and pcapng (IDB per interface,
// if_name, if_tsresol); ns-3 writes one capture per device with simulator timestamps, as we do, with a
// fixed epoch (2026-01-01T00:00:00Z) so files are byte-identical across runs.

const dir = mkdtempSync(join(tmpdir(), "vnet-capture-point-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** A UDP/IPv4 broadcast-ish frame from `src`, numbered `i` (valid enough for tcpdump to print). */
function udpFrame(dst: Mac, src: Mac, i: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + 18);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = 0x08;
  const ip = 14;
  f[ip] = 0x45;
  f[ip + 3] = 46;
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  f.set([10, 0, 0, 1], ip + 12);
  f.set([10, 0, 0, 2], ip + 16);
  f[ip + 20] = 0x30;
  f[ip + 21] = 0x39;
  f[ip + 23] = 7;
  f[ip + 25] = 26;
  f[ip + 28] = i & 0xff;
  return f;
}

function ipv4Packet(i: number): Uint8Array {
  const p = new Uint8Array(28);
  p[0] = 0x45;
  p[3] = 28;
  p[8] = 64;
  p[9] = 17;
  p.set([10, 9, 0, 1], 12);
  p.set([10, 9, 0, 2], 16);
  p[21] = 53;
  p[23] = 53;
  p[25] = 8;
  p[27] = i;
  return p;
}

/** Two VMs on TAPs joined by an impaired link, plus a TUN on a router port; runs and returns captures. */
function scenario(seed: number, opts: { path?: string; stopAt?: number } = {}) {
  const sim = new Simulator({ seed });
  const tap1 = new Tap(sim, "tap1");
  const tap2 = new Tap(sim, "tap2");
  const link = connect(sim, tap1.port, tap2.port, {
    name: "wire",
    delay: ms(2),
    jitter: { distribution: "normal", sd: us(300) },
    loss: 0.1,
    duplicate: 0.05,
    corrupt: 0.05,
    rate: 100_000_000,
  });
  const vm1 = new VmNic(sim, "vm1").attach(tap1);
  const vm2 = new VmNic(sim, "vm2").attach(tap2);
  vm2.onReceive((f) => vm2.send(udpFrame(vm1.mac, vm2.mac, f[42])));
  const tun = new Tun(sim, "tun0");
  const r = new Port(sim, "r0", "ip");
  connect(sim, tun.port, r, { delay: us(50) });
  tun.onRead(() => {});
  const pcapUs = capture(tap1.port);
  const pcapNs = captureLink(link, { nano: true });
  const ng = capture([vm1, tap2, tun], { format: "pcapng", nano: true });
  // libpcap reads a pcapng file only if all its interfaces share one link type: Ethernet and IP apart.
  const ngFile = opts.path ? capture([vm1, tap2], { format: "pcapng", nano: true, path: opts.path }) : null;
  const rawFile = opts.path ? capture(tun, { path: `${opts.path}.raw.pcap` }) : null;
  for (let i = 0; i < 50; i++) {
    sim.at(ms(1) + i * us(700), () => vm1.send(udpFrame(i % 5 === 0 ? MAC_BROADCAST : vm2.mac, vm1.mac, i)));
    sim.at(ms(1) + i * us(900), () => tun.write(ipv4Packet(i)));
  }
  if (opts.stopAt !== undefined) sim.run({ until: opts.stopAt });
  else sim.run();
  return { sim, link, vm1, vm2, tun, pcapUs, pcapNs, ng, ngFile, rawFile };
}

describe("capture points", () => {
  it("the same scenario twice gives byte-identical captures (sha256); another seed does not", () => {
    const a = scenario(77);
    const b = scenario(77);
    const c = scenario(78);
    for (const k of ["pcapUs", "pcapNs", "ng"] as const) {
      expect(a[k].recordCount).toBeGreaterThan(40);
      expect(sha256(a[k].bytes())).toBe(sha256(b[k].bytes()));
      expect(sha256(a[k].bytes())).not.toBe(sha256(c[k].bytes()));
    }
  });

  it("timestamps are CAPTURE_EPOCH_SEC (2026-01-01T00:00:00Z) + simulated time, in µs or ns", () => {
    expect(new Date(CAPTURE_EPOCH_SEC * 1000).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const sim = new Simulator();
    const a = new Port(sim, "a");
    const b = new Port(sim, "b");
    connect(sim, a, b, { delay: 1_234_567_891 });
    const us6 = capture(b);
    const ns9 = capture(b, { nano: true });
    sim.at(5, () => a.send(udpFrame(MAC_BROADCAST, 0x020000000001 as Mac, 1)));
    sim.run();
    const r6 = readCaptureBytes(us6.bytes()).next();
    const r9 = readCaptureBytes(ns9.bytes()).next();
    expect(r6 && [r6.tsSec, r6.tsFrac, r6.fracDigits]).toEqual([CAPTURE_EPOCH_SEC + 1, 234567, 6]);
    expect(r9 && [r9.tsSec, r9.tsFrac, r9.fracDigits]).toEqual([CAPTURE_EPOCH_SEC + 1, 234567896, 9]);
  });

  it("records what each port sends and receives, and can be limited to one direction", () => {
    const sim = new Simulator();
    const a = new Port(sim, "a");
    const b = new Port(sim, "b");
    connect(sim, a, b);
    const both = capture(a);
    const outOnly = new CapturePoint(sim).add(a, "out");
    const inOnly = new CapturePoint(sim).add(a, "in");
    a.send(udpFrame(MAC_BROADCAST, 0x020000000001 as Mac, 1));
    b.send(udpFrame(MAC_BROADCAST, 0x020000000002 as Mac, 2));
    b.send(udpFrame(MAC_BROADCAST, 0x020000000002 as Mac, 3));
    sim.run();
    expect([both.recordCount, outOnly.recordCount, inOnly.recordCount]).toEqual([3, 1, 2]);
    const rd = readCaptureBytes(inOnly.bytes());
    expect([...rd].map((r) => r.data[42])).toEqual([2, 3]);
    // After close(), nothing more is recorded.
    both.close();
    a.send(udpFrame(MAC_BROADCAST, 0x020000000001 as Mac, 4));
    sim.run();
    expect(both.recordCount).toBe(3);
  });

  it("pcapng: one interface per source named after it, with its link type (Ethernet / RAW)", () => {
    const { ng, vm1, tun } = scenario(1);
    const rd = readCaptureBytes(ng.bytes());
    const recs = [...rd].map((r) => ({ iface: r.iface, linkType: r.linkType, len: r.origLen }));
    expect(rd.header.interfaces.map((i) => [i.name, i.linkType, i.fracDigits])).toEqual([
      ["vm1", 1, 9],
      ["tap2", 1, 9],
      ["tun0", 101, 9],
    ]);
    expect(recs.filter((r) => r.iface === 0).length).toBe(vm1.counters.txPackets + vm1.counters.rxPackets);
    expect(recs.filter((r) => r.iface === 2).length).toBe(
      tun.port.counters.txPackets + tun.port.counters.rxPackets,
    );
    expect(recs.filter((r) => r.iface === 2).every((r) => r.linkType === 101 && r.len === 28)).toBe(true);
  });

  it("a link capture sees both ends; pcap refuses mixing Ethernet and IP sources", () => {
    const { pcapNs, link } = scenario(2);
    const ab = link.ab.stats;
    const ba = link.ba.stats;
    // a's out + b's in (delivered copies) + b's out + a's in.
    expect(pcapNs.recordCount).toBe(ab.offered + ab.delivered + ba.offered + ba.delivered);
    const sim = new Simulator();
    const e = new Port(sim, "e");
    const ip = new Port(sim, "ip0", "ip");
    expect(() => capture([e, ip])).toThrow(/use format "pcapng"/);
  });

  it("a file being written is readable mid-run (each record written whole), and tcpdump -r prints it", () => {
    const path = join(dir, "mid.pcapng");
    const mid = scenario(3, { path, stopAt: ms(20) });
    const ngFile = mid.ngFile as CapturePoint;
    const rawFile = mid.rawFile as CapturePoint;
    const count = ngFile.recordCount;
    expect(count).toBeGreaterThan(10);
    const countRecords = (p: string): number => {
      let n = 0;
      for (const _ of openCapture(p)) n++;
      return n;
    };
    expect(countRecords(path)).toBe(count); // not closed yet: still whole
    mid.sim.run();
    ngFile.close();
    rawFile.close();
    expect(countRecords(path)).toBe(ngFile.recordCount);

    const tcpdump = (p: string): string[] => {
      const td = spawnSync("tcpdump", ["-nn", "-tttt", "-r", p], {
        env: { ...process.env, TZ: "UTC" },
        encoding: "utf8",
      });
      expect(td.stderr).not.toMatch(/tcpdump: /);
      expect(td.status).toBe(0);
      return td.stdout.trim().split("\n");
    };
    const eth = tcpdump(path);
    expect(eth).toHaveLength(ngFile.recordCount);
    expect(eth[0]).toMatch(
      /^2026-01-01 00:00:00\.001000 IP 10\.0\.0\.1\.12345 > 10\.0\.0\.2\.7: UDP, length 18$/,
    );
    const raw = tcpdump(`${path}.raw.pcap`);
    expect(raw).toHaveLength(rawFile.recordCount);
    expect(raw[0]).toMatch(/^2026-01-01 00:00:00\.001000 IP 10\.9\.0\.1\.53 > 10\.9\.0\.2\.53: /);
  });

  it("pcap to a file with microseconds reads back identically to the in-memory one", () => {
    const path = join(dir, "tap1.pcap");
    const opts: CaptureOptions = { path };
    const sim = new Simulator({ seed: 9 });
    const a = new Port(sim, "a");
    const b = new Port(sim, "b");
    connect(sim, a, b, { delay: us(3) });
    const file = capture(a, opts);
    const mem = capture(a);
    for (let i = 0; i < 10; i++)
      sim.at(i * 1001, () => a.send(udpFrame(MAC_BROADCAST, 0x020000000001 as Mac, i)));
    sim.run();
    file.close();
    expect(readFileSync(path)).toEqual(Buffer.from(mem.bytes()));
    const td = spawnSync("tcpdump", ["-nn", "-r", path], { encoding: "utf8" });
    expect(td.status).toBe(0);
    expect(td.stdout.trim().split("\n")).toHaveLength(10);
    expect(() => file.bytes()).toThrow(/read the file/);
  });
});
