import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tool, toolPath } from "../test/shared.js";
import { hex } from "../test/wire-helpers.js";
import type { Mac } from "./addr.js";
import { WireError } from "./errors.js";
import {
  type BpduRepr,
  BpduType,
  bpduLen,
  bpduOfFrame,
  buildBpduFrame,
  emitBpdu,
  parseBpdu,
  StpBpdu,
} from "./stp.js";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// 802.1D-2004 9.3.3: RST BPDU, TC + proposal + role designated + learning; root 8000.02:00:00:00:01:00,
// cost 20000, bridge 7001.02:00:00:00:02:00 (priority 0x7000, system id ext 1), port 0x8002,
// message age 1 s, max age 20 s, hello 2 s, forward delay 15 s, in 802.3 + LLC 42 42 03, padded to 60.
const RST = hex(`
  0180 c200 0000 0200 0000 0203 0027 4242 0300 0002 021f 8000 0200 0000 0100 0000
  4e20 7001 0200 0000 0200 8002 0100 1400 0200 0f00 0000 0000 0000 0000`);
// 9.3.1: Configuration BPDU with TC and TCA; root 1000.52:54:00:00:00:01, cost 4, port 0x8001.
const CONFIG = hex(`
  0180 c200 0000 5254 0000 0002 0026 4242 0300 0000 0081 1000 5254 0000 0001 0000
  0004 8000 5254 0000 0002 8001 0000 1400 0200 0f00 0000 0000 0000 0000`);
// 9.3.2: Topology Change Notification.
const TCN = hex(`
  0180 c200 0000 5254 0000 0003 0007 4242 0300 0000 8000 0000 0000 0000 0000 0000
  0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000`);

const rstRepr: BpduRepr = {
  type: BpduType.Rst,
  version: 2,
  flags: {
    topologyChange: true,
    proposal: true,
    role: 3,
    learning: true,
    forwarding: false,
    agreement: false,
    topologyChangeAck: false,
  },
  rootId: { priority: 0x8000, systemId: 0, mac: 0x0200_0000_0100 as Mac },
  rootPathCost: 20000,
  bridgeId: { priority: 0x7000, systemId: 1, mac: 0x0200_0000_0200 as Mac },
  portId: 0x8002,
  messageAge: 256,
  maxAge: 20 * 256,
  helloTime: 2 * 256,
  forwardDelay: 15 * 256,
  version1Length: 0,
};

describe("BPDU view and repr (802.1D-2004 clause 9)", () => {
  it("parses an RST BPDU and emits it back byte for byte", () => {
    expect(parseBpdu(bpduOfFrame(RST))).toEqual(rstRepr);
    expect(toHex(buildBpduFrame(rstRepr, 0x0200_0000_0203 as Mac))).toBe(toHex(RST));
  });

  it("parses a Configuration BPDU (TC, TCA) and a TCN, and emits them back", () => {
    const cfg = parseBpdu(bpduOfFrame(CONFIG));
    expect(cfg).toMatchObject({ type: 0, version: 0, rootPathCost: 4, portId: 0x8001 });
    expect(cfg.type !== BpduType.Tcn && cfg.flags).toMatchObject({
      topologyChange: true,
      topologyChangeAck: true,
    });
    expect(toHex(buildBpduFrame(cfg, 0x5254_0000_0002 as Mac))).toBe(toHex(CONFIG));
    const tcn = parseBpdu(bpduOfFrame(TCN));
    expect(tcn).toEqual({ type: BpduType.Tcn, version: 0 });
    expect(toHex(buildBpduFrame(tcn, 0x5254_0000_0003 as Mac))).toBe(toHex(TCN));
  });

  it("emits into a 0xa5-filled buffer exactly the bytes it parsed", () => {
    const b = new Uint8Array(bpduLen(rstRepr)).fill(0xa5);
    emitBpdu(rstRepr, StpBpdu.unchecked(b));
    expect(toHex(b)).toBe(toHex(RST.subarray(17, 17 + 36)));
  });

  it("validates as 9.3.4: short BPDUs, a bad LLC, an RST with version < 2, unknown types", () => {
    expect(() => bpduOfFrame(RST.subarray(0, 40))).toThrow(WireError);
    const badLlc = RST.slice();
    badLlc[14] = 0xaa;
    expect(() => bpduOfFrame(badLlc)).toThrow(/LLC/);
    const v0 = RST.slice();
    v0[19] = 0;
    expect(() => bpduOfFrame(v0)).toThrow(/version/);
    const t = RST.slice();
    t[20] = 0x42;
    expect(() => bpduOfFrame(t)).toThrow(/type/);
    // An MSTP BPDU (version 3) is read as its RST part.
    const m = RST.slice();
    m[19] = 3;
    expect(parseBpdu(bpduOfFrame(m))).toMatchObject({ type: BpduType.Rst, version: 3 });
  });

  it("round-trips any RST or Config BPDU (fast-check)", () => {
    const id = fc.record({
      priority: fc.integer({ min: 0, max: 15 }).map((p) => p * 4096),
      systemId: fc.integer({ min: 0, max: 0xfff }),
      mac: fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((m) => m as Mac),
    });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const repr = fc.record({
      type: fc.constantFrom(BpduType.Config, BpduType.Rst),
      version: fc.integer({ min: 2, max: 255 }),
      flags: fc.record({
        topologyChange: fc.boolean(),
        proposal: fc.boolean(),
        role: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
        learning: fc.boolean(),
        forwarding: fc.boolean(),
        agreement: fc.boolean(),
        topologyChangeAck: fc.boolean(),
      }),
      rootId: id,
      rootPathCost: fc.integer({ min: 0, max: 0xffff_ffff }),
      bridgeId: id,
      portId: u16,
      messageAge: u16,
      maxAge: u16,
      helloTime: u16,
      forwardDelay: u16,
      version1Length: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(repr, fc.integer({ min: 0, max: 2 ** 48 - 1 }), (r, src) => {
        const norm = r.type === BpduType.Config ? { ...r, version1Length: 0 } : r;
        const f = buildBpduFrame(norm, src as Mac);
        expect(parseBpdu(bpduOfFrame(f))).toEqual(norm);
        expect(toHex(buildBpduFrame(parseBpdu(bpduOfFrame(f)), src as Mac))).toBe(toHex(f));
      }),
    );
  });
});

const haveTcpdump = tool("tcpdump");

/** A classic pcap (µs, Ethernet) of the frames, one per second from 0. */
function pcapOf(frames: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, 0xa1b2c3d4, true);
  h.setUint16(4, 2, true);
  h.setUint16(6, 4, true);
  h.setUint32(16, 262144, true);
  h.setUint32(20, 1, true);
  parts.push(new Uint8Array(h.buffer));
  frames.forEach((f, i) => {
    const r = new DataView(new ArrayBuffer(16));
    r.setUint32(0, i, true);
    r.setUint32(8, f.byteLength, true);
    r.setUint32(12, f.byteLength, true);
    parts.push(new Uint8Array(r.buffer), f);
  });
  return Buffer.concat(parts);
}

describe.skipIf(!haveTcpdump)("the fixtures as tcpdump -vv -e reads them", () => {
  it("RST, Config and TCN decode with the fields above", () => {
    const dir = mkdtempSync(join(tmpdir(), "vnet-stp-"));
    try {
      const file = join(dir, "bpdu.pcap");
      writeFileSync(file, pcapOf([RST, CONFIG, TCN]));
      const out = spawnSync(toolPath("tcpdump"), ["-n", "-vv", "-e", "-r", file], { encoding: "utf8" });
      const text = out.stdout.replace(/\s+/g, " ");
      expect(text).toContain(
        "02:00:00:00:02:03 > 01:80:c2:00:00:00, 802.3, length 39: LLC, dsap STP (0x42) Individual, ssap STP (0x42) Command, ctrl 0x03: STP 802.1w, Rapid STP, Flags [Topology change, Proposal, Learn], bridge-id 7001.02:00:00:00:02:00.8002, length 36 message-age 1.00s, max-age 20.00s, hello-time 2.00s, forwarding-delay 15.00s root-id 8000.02:00:00:00:01:00, root-pathcost 20000, port-role Designated",
      );
      expect(text).toContain(
        "STP 802.1d, Config, Flags [Topology change, Topology change ACK], bridge-id 8000.52:54:00:00:00:02.8001, length 35 message-age 0.00s, max-age 20.00s, hello-time 2.00s, forwarding-delay 15.00s root-id 1000.52:54:00:00:00:01, root-pathcost 4",
      );
      expect(text).toContain("STP 802.1d, Topology Change");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
