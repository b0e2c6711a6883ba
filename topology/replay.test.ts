/**
 * Edges and replay, at byte level: a capture of ARP + ping frames injected into vm1.eth0 of a
 * host-only network is answered by the host (its replies in the host's capture); injection times
 * follow tcpreplay (recorded gaps, `--multiplier`, `--topspeed`, a start offset, file order);
 * `--rewrite-mac` rewrites into new buffers; oversize frames are the device's counted drops; every
 * injection lands in the edge recording; a run directory replays to byte-identical captures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CAPTURE_EPOCH_SEC,
  CaptureError,
  type CaptureRecord,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
} from "../captures/index.js";
import { Simulator } from "../sim/index.js";
import { ms, s, us } from "../sim/time.js";
import {
  formatMac,
  type Ipv4,
  type Mac,
  parseIpv4Address,
  parseMac,
  writeIpv4,
  writeMac,
} from "../wire/addr.js";
import { internetChecksum } from "../wire/checksum.js";
import { buildTopology } from "./build.js";
import { topology } from "./builder.js";
import { EdgeError, Edges, readEdgeRecording } from "./edges.js";
import {
  captureInjections,
  loadRunDir,
  parseMacRewrites,
  parseSpeed,
  ReplayError,
  replayCapture,
  replayRun,
  rewriteMacs,
} from "./replay.js";
import { runTopology } from "./run.js";
import type { TopologySpec } from "./spec.js";
import { parseTopologyYaml } from "./yaml.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vnet-replay-"));
  dirs.push(d);
  return d;
}

// --- frames a VM that is not in the topology would send ------------------------------------------------

const OUTSIDER_MAC = parseMac("52:54:00:aa:00:01");
const OUTSIDER_IP = parseIpv4Address("192.168.56.50");
const HOST_IP = parseIpv4Address("192.168.56.1");

function eth(dst: Mac, src: Mac, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.byteLength);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

/** ARP request "who-has tpa tell spa" (RFC 826), broadcast. */
function arpRequest(sha: Mac, spa: Ipv4, tpa: Ipv4): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 8, 0, 6, 4, 0, 1]);
  writeMac(a, 8, sha);
  writeIpv4(a, 14, spa);
  writeIpv4(a, 24, tpa);
  return eth(0xffff_ffff_ffff as Mac, sha, 0x0806, a);
}

/** ICMP echo request (ping's: 56 data bytes, DF, TTL 64). */
function echoRequest(dst: Mac, src: Mac, sip: Ipv4, dip: Ipv4, ident: number, seq: number): Uint8Array {
  const icmp = new Uint8Array(8 + 56);
  icmp[0] = 8;
  icmp[4] = ident >> 8;
  icmp[5] = ident & 0xff;
  icmp[6] = seq >> 8;
  icmp[7] = seq & 0xff;
  for (let i = 8; i < icmp.length; i++) icmp[i] = i;
  const c = internetChecksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const ip = new Uint8Array(20 + icmp.length);
  ip.set([0x45, 0, ip.length >> 8, ip.length & 0xff, 0, seq, 0x40, 0, 64, 1]);
  writeIpv4(ip, 12, sip);
  writeIpv4(ip, 16, dip);
  const h = internetChecksum(ip.subarray(0, 20));
  ip[10] = h >> 8;
  ip[11] = h & 0xff;
  ip.set(icmp, 20);
  return eth(dst, src, 0x0800, ip);
}

/** A pcap (µs, Ethernet) of `frames` at `times` (ns after 2024-05-01T00:00:00Z). */
function pcapOf(frames: readonly Uint8Array[], times: readonly number[], linkType = 1): Uint8Array {
  const w = PcapWriter.inMemory({ linkType, nano: true });
  const base = 1714521600;
  frames.forEach((data, i) => {
    const t = times[i];
    w.write({
      tsSec: base + Math.floor(t / 1e9),
      tsFrac: t % 1e9,
      fracDigits: 9,
      origLen: data.byteLength,
      data,
    });
  });
  return w.bytes();
}

const HOST_ONLY = `
name: ho
seed: 3
duration: 3s
networks:
  vboxnet0: { mode: host-only }
vms:
  vm1: { nics: [vboxnet0] }
`;

const hostOnly = (): TopologySpec => parseTopologyYaml(HOST_ONLY, "ho.yaml");

/** The host's MAC on vboxnet0 (a dry build: MACs depend only on the spec and the seed). */
function hostMac(spec: TopologySpec): Mac {
  return buildTopology(spec, new Simulator({ seed: spec.seed ?? 1 })).port("host.vboxnet0").nic.nic.mac;
}

function records(bytes: Uint8Array): CaptureRecord[] {
  return [...readCaptureBytes(bytes, "x")].map((r) => ({ ...r, data: r.data.slice() }));
}

/** ns since time 0 of a capture record written by a capture point (µs files). */
const simTime = (r: CaptureRecord): number =>
  (r.tsSec - CAPTURE_EPOCH_SEC) * 1e9 + r.tsFrac * 10 ** (9 - r.fracDigits);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("replay a capture into an edge", () => {
  const spec = hostOnly();
  const hmac = hostMac(spec);
  const frames = [
    arpRequest(OUTSIDER_MAC, OUTSIDER_IP, HOST_IP),
    echoRequest(hmac, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 0x4242, 1),
    echoRequest(hmac, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 0x4242, 2),
  ];
  // Recorded 1 s apart, starting at some wall-clock instant: relative times are what count.
  const cap = pcapOf(frames, [0, s(1) + 250, s(2) + 500]);

  it("ARP + ping into vm1.eth0 of a host-only network: the host answers (its replies in host-vboxnet0.pcap)", () => {
    const r = replayCapture({ bytes: cap, name: "ping.pcap" }, spec, { into: "vm1.eth0", at: ms(500) });
    expect(r.into).toBe("vm1.eth0");
    expect(r.frames).toBe(3);
    expect([r.first, r.last]).toEqual([ms(500), ms(500) + s(2) + 500]);
    expect(r.injected.get("vm1.eth0")).toEqual({ injected: 3, dropped: 0, bytes: 42 + 98 + 98 });

    // The frames entered as vm1's NIC transmitting them: in vm1's capture, unchanged, at their times.
    const vm1 = records(r.captures.get("vm1-eth0.pcap")!);
    const sent = vm1.filter((x) => hex(x.data.subarray(6, 12)) === "525400aa0001");
    expect(sent.map((x) => hex(x.data))).toEqual(frames.map(hex));
    expect(sent.map(simTime)).toEqual([ms(500), ms(500) + s(1), ms(500) + s(2)]); // µs files truncate

    // The host's side: the requests arrive, the host answers as Linux does.
    const host = records(r.captures.get("host-vboxnet0.pcap")!);
    const toOutsider = host.filter((x) => hex(x.data.subarray(0, 6)) === "525400aa0001");
    const arpReply = toOutsider.find((x) => x.data[12] === 0x08 && x.data[13] === 0x06)!;
    expect(arpReply.data[21]).toBe(2); // op: reply
    expect(hex(arpReply.data.subarray(22, 28))).toBe(formatMac(hmac).replaceAll(":", "")); // sha: the host
    expect([...arpReply.data.subarray(28, 32)]).toEqual([192, 168, 56, 1]); // spa
    expect([...arpReply.data.subarray(38, 42)]).toEqual([192, 168, 56, 50]); // tpa
    const replies = toOutsider.filter((x) => x.data[13] === 0 && x.data[23] === 1 && x.data[34] === 0);
    expect(replies.map((x) => [x.data[38] * 256 + x.data[39], x.data[40] * 256 + x.data[41]])).toEqual([
      [0x4242, 1],
      [0x4242, 2],
    ]);
    // Echo replies carry the request's data back (RFC 792), from the host to the outsider.
    expect(hex(replies[0].data.subarray(42))).toBe(hex(frames[1].subarray(42)));
    expect([...replies[0].data.subarray(26, 34)]).toEqual([192, 168, 56, 1, 192, 168, 56, 50]);
    expect(simTime(replies[0])).toBeGreaterThanOrEqual(ms(500) + s(1));

    // The edge recording holds exactly what was injected, at ns precision, on interface vm1.eth0.
    const rec = readEdgeRecording(r.edgeRecording!, "edges.pcapng");
    expect(rec.edges).toEqual([...r.network.ports.keys()]);
    expect(rec.frames.map((f) => [f.edge, f.at, hex(f.frame)])).toEqual(
      frames.map((f, i) => ["vm1.eth0", ms(500) + i * s(1) + i * 250, hex(f)]),
    );
    expect(r.record.input).toEqual({
      capture: "ping.pcap",
      into: "vm1.eth0",
      speed: 1,
      at: ms(500),
      rewriteMac: [],
      frames: 3,
    });
  });

  it("NODE:PORT is accepted; an unknown edge says which ones exist", () => {
    const r = replayCapture({ bytes: cap, name: "p" }, spec, { into: "host:vboxnet0", duration: ms(10) });
    expect(r.into).toBe("host.vboxnet0");
    expect(() => replayCapture({ bytes: cap, name: "p" }, spec, { into: "vm1.eth1" })).toThrow(
      new EdgeError(
        'unknown edge "vm1.eth1" (did you mean "vm1.eth0"?); edges (NODE.PORT): vm1.eth0, host.uplink, host.vboxnet0, vboxnet0-dhcp.eth0, gw.eth0, web.eth0, dns.eth0',
      ),
    );
    expect(() => replayCapture({ bytes: cap, name: "p" }, spec, { into: "vm1" })).toThrow(
      /^unknown edge "vm1" \(did you mean "vm1.eth0"\?\)/,
    );
  });

  it("--speed N divides the gaps, max sends all at the start instant, in file order", () => {
    const recs = records(cap);
    const at = (speed: number | "max", start = 0) =>
      captureInjections(recs, "c", { edge: "e", speed, start }).map((f) => f.at);
    expect(at(1)).toEqual([0, s(1) + 250, s(2) + 500]);
    expect(at(2)).toEqual([0, ms(500) + 125, s(1) + 250]);
    expect(at(0.5)).toEqual([0, s(2) + 500, s(4) + 1000]);
    expect(at(3)).toEqual([0, Math.round((s(1) + 250) / 3), Math.round((s(2) + 500) / 3)]);
    expect(at("max", s(2))).toEqual([s(2), s(2), s(2)]);
    // A timestamp going backwards: the frame goes at the previous one's time (file order is kept).
    const back = records(pcapOf(frames, [s(5), s(3), s(6)]));
    expect(captureInjections(back, "c", { edge: "e" }).map((f) => f.at)).toEqual([0, 0, s(1)]);
    // In a run: with max, the three frames are injected at one instant, in order.
    const r = replayCapture({ bytes: cap, name: "p" }, spec, { into: "vm1.eth0", speed: "max", at: us(7) });
    const rec = readEdgeRecording(r.edgeRecording!, "e");
    expect(rec.frames.map((f) => [f.at, hex(f.frame)])).toEqual(frames.map((f) => [us(7), hex(f)]));
    expect(parseSpeed("max")).toBe("max");
    expect(parseSpeed("2.5")).toBe(2.5);
    for (const bad of ["0", "-1", "fast", ""]) expect(() => parseSpeed(bad)).toThrow(ReplayError);
  });

  it("--rewrite-mac maps source and destination into new buffers", () => {
    const map = parseMacRewrites([
      "52:54:00:aa:00:01=52:54:00:bb:00:02",
      `${formatMac(hmac)}=ff:ff:ff:ff:ff:ff`,
    ]);
    const original = frames[1];
    const before = hex(original);
    const out = rewriteMacs(original, map);
    expect(out).not.toBe(original);
    expect(hex(original)).toBe(before); // never written
    expect(hex(out.subarray(0, 12))).toBe("ffffffffffff525400bb0002");
    expect(hex(out.subarray(12))).toBe(hex(original.subarray(12)));
    // Untouched frames are passed as they are.
    const other = arpRequest(parseMac("02:00:00:00:00:09"), OUTSIDER_IP, HOST_IP);
    expect(rewriteMacs(other, map)).toBe(other);

    // In a run: a capture made against another host (its MAC in the echo requests' destination) is
    // answered only once that MAC is rewritten to this host's (the NIC filters other unicast MACs).
    const OLD = parseMac("52:54:00:99:99:99");
    const elsewhere = pcapOf(
      [
        arpRequest(OUTSIDER_MAC, OUTSIDER_IP, HOST_IP),
        echoRequest(OLD, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 5, 1),
        echoRequest(OLD, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 5, 2),
      ],
      [0, s(1), s(2)],
    );
    const echoReplies = (rewriteMac: string[]) => {
      const r = replayCapture({ bytes: elsewhere, name: "p" }, spec, { into: "vm1.eth0", rewriteMac });
      const host = records(r.captures.get("host-vboxnet0.pcap")!);
      return {
        input: r.record.input?.rewriteMac,
        replies: host.filter((x) => x.data[13] === 0 && x.data[23] === 1 && x.data[34] === 0).length,
        filtered: r.network.port("host.vboxnet0").nic.nic.filtered,
      };
    };
    expect(echoReplies([])).toEqual({ input: [], replies: 0, filtered: 2 });
    expect(echoReplies([`52:54:00:99:99:99=${formatMac(hmac)}`])).toEqual({
      input: [`52:54:00:99:99:99=${formatMac(hmac)}`],
      replies: 2,
      filtered: 0,
    });

    for (const bad of ["52:54:00:aa:00:01", "x=52:54:00:aa:00:01", "52:54:00:aa:00:01=1=2"])
      expect(() => parseMacRewrites([bad])).toThrow(ReplayError);
    expect(() =>
      parseMacRewrites(["02:00:00:00:00:01=02:00:00:00:00:02", "02:00:00:00:00:01=02:00:00:00:00:03"]),
    ).toThrow(
      "--rewrite-mac: 02:00:00:00:00:01 is rewritten twice (to 02:00:00:00:00:02 and 02:00:00:00:00:03)",
    );
  });

  it("a frame above the port's MTU is the device's counted drop, not an error; it is still recorded", () => {
    const big = echoRequest(hmac, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 1, 1);
    const jumbo = new Uint8Array(1600);
    jumbo.set(big);
    const r = replayCapture({ bytes: pcapOf([jumbo, frames[0]], [0, 1000]), name: "j" }, spec, {
      into: "vm1.eth0",
    });
    expect(r.injected.get("vm1.eth0")).toMatchObject({ injected: 2, dropped: 1 });
    const nic = r.network.port("vm1.eth0").nic.nic.counters.snapshot();
    expect(nic.txDropped).toBeGreaterThanOrEqual(1);
    expect(nic.dropReasons).toMatchObject({ "mtu-exceeded": 1 });
    expect(readEdgeRecording(r.edgeRecording!, "e").frames.map((f) => f.frame.byteLength)).toEqual([
      1600, 42,
    ]);
  });

  it("frames after the end of the run are not injected (counted)", () => {
    const r = replayCapture({ bytes: cap, name: "p" }, spec, { into: "vm1.eth0", duration: s(1) });
    expect(r.injected.get("vm1.eth0")?.injected).toBe(1);
    expect(r.notInjected).toBe(2);
    expect(r.record.edges.frames).toBe(1);
  });

  it("non-Ethernet captures and malformed files are refused before anything runs", () => {
    const raw = pcapOf([frames[1].subarray(14)], [0], 101);
    expect(() => replayCapture({ bytes: raw, name: "tun.pcap" }, spec, { into: "vm1.eth0" })).toThrow(
      new ReplayError(
        "tun.pcap: packet 1 has link type RAW (101), not Ethernet: only Ethernet frames can be replayed into a port",
      ),
    );
    expect(() =>
      replayCapture({ bytes: cap.subarray(0, cap.length - 5), name: "cut.pcap" }, spec, { into: "vm1.eth0" }),
    ).toThrow(CaptureError);
    expect(() => replayCapture({ bytes: new Uint8Array(10), name: "z" }, spec, { into: "vm1.eth0" })).toThrow(
      "z: unknown file format (at byte offset 0)",
    );
    const d = tmp();
    expect(() => replayCapture(join(d, "none.pcap"), spec, { into: "vm1.eth0" })).toThrow(/ENOENT/);
    expect(readdirSync(d)).toEqual([]);
  });

  it("pcapng captures (any interface names) are read too", () => {
    const w = PcapngWriter.inMemory({ interfaces: [{ linkType: 1, name: "eth0" }], nano: true });
    for (const [i, data] of frames.entries())
      w.write({ tsSec: 100 + i, tsFrac: 0, fracDigits: 9, origLen: data.length, data, iface: 0 });
    const r = replayCapture({ bytes: w.bytes(), name: "p.pcapng" }, spec, { into: "vm1.eth0", speed: 10 });
    const rec = readEdgeRecording(r.edgeRecording!, "e");
    expect(rec.frames.map((f) => f.at)).toEqual([0, ms(100), ms(200)]);
  });
});

describe("edges", () => {
  it("inject records, then hands the frame to the device; scheduling keeps list order at equal times", () => {
    const sim = new Simulator();
    const seen: string[] = [];
    const edges = new Edges(sim);
    edges.add("a.eth0", (f) => {
      seen.push(`a${f[0]}@${sim.now}`);
      return f[0] !== 9;
    });
    edges.add("b.eth0", (f) => {
      seen.push(`b${f[0]}@${sim.now}`);
      return true;
    });
    const f = (n: number) => new Uint8Array(14).fill(n);
    edges.schedule([
      { edge: "b.eth0", at: 5, frame: f(1) },
      { edge: "a.eth0", at: 5, frame: f(2) },
      { edge: "a.eth0", at: 7, frame: f(9) },
    ]);
    expect(() => edges.schedule([])).toThrow("3 scheduled frames are still pending");
    sim.run();
    expect(seen).toEqual(["b1@5", "a2@5", "a9@7"]);
    expect(edges.stats("a.eth0")).toEqual({ injected: 2, dropped: 1, bytes: 28 });
    edges.close();
    const rec = readEdgeRecording(edges.bytes(), "e");
    expect(rec).toEqual({
      edges: ["a.eth0", "b.eth0"],
      frames: [
        { edge: "b.eth0", at: 5, frame: f(1) },
        { edge: "a.eth0", at: 5, frame: f(2) },
        { edge: "a.eth0", at: 7, frame: f(9) },
      ],
    });
    expect(edges.inject("a.eth0", f(3))).toBe(false); // closed: nothing enters
    expect(seen.length).toBe(3);
  });

  it("refuses unknown edges and decreasing times before scheduling anything", () => {
    const edges = new Edges(new Simulator());
    edges.add("a.eth0", () => true);
    const fr = new Uint8Array(14);
    expect(() => edges.schedule([{ edge: "a.eth1", at: 0, frame: fr }])).toThrow("frame 1: no edge a.eth1");
    expect(() =>
      edges.schedule([
        { edge: "a.eth0", at: 5, frame: fr },
        { edge: "a.eth0", at: 4, frame: fr },
      ]),
    ).toThrow("frame 2: time 4 is before the previous frame's (5)");
    expect(edges.pending).toBe(0);
    expect(() => edges.resolve("a:eth0")).not.toThrow();
    expect(edges.resolve("a:eth0")).toBe("a.eth0");
  });
});

describe("run directories", () => {
  it("a run writes run.json, the topology and edges.pcapng; replaying it gives byte-identical captures", () => {
    const a = tmp();
    const b = tmp();
    const run = runTopology(hostOnly(), { captureDir: a, source: { text: HOST_ONLY, origin: "ho.yaml" } });
    expect(readdirSync(a).sort()).toEqual([
      "dns-eth0.pcap",
      "edges.pcapng",
      "gw-eth0.pcap",
      "host-uplink.pcap",
      "host-vboxnet0.pcap",
      "run.json",
      "topology.yaml",
      "vboxnet0-dhcp-eth0.pcap",
      "vm1-eth0.pcap",
      "web-eth0.pcap",
    ]);
    expect(readFileSync(join(a, "topology.yaml"), "utf8")).toBe(HOST_ONLY);
    const rj = JSON.parse(readFileSync(join(a, "run.json"), "utf8"));
    expect(rj).toMatchObject({
      format: 1,
      name: "ho",
      seed: 3,
      duration: s(3),
      durationText: "3s",
      source: "ho.yaml",
    });
    expect(rj.vnet).toMatch(/^\d+\.\d+\.\d+/);
    expect(rj.edges).toMatchObject({ file: "edges.pcapng", frames: 0 });
    expect(rj.captures[0]).toMatchObject({ port: "vm1.eth0", file: "vm1-eth0.pcap" });
    expect(rj.captures[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rj).toEqual(run.record);
    // The pure simulation's edge recording: no packets, one interface per edge.
    const edges = readEdgeRecording(readFileSync(join(a, "edges.pcapng")), "edges.pcapng");
    expect(edges).toEqual({ edges: [...run.network.ports.keys()], frames: [] });

    const rep = replayRun(a, { captureDir: b });
    expect(rep.verification).toMatchObject({
      ok: true,
      differ: [],
      missing: [],
      edges: true,
      otherVersion: null,
    });
    expect(rep.verification.identical.length).toBe(7);
    for (const f of readdirSync(a))
      expect(hex(readFileSync(join(b, f))), f).toBe(hex(readFileSync(join(a, f))));
    expect(rep.report.events).toBe(run.report.events);
  });

  it("a replayed capture's run directory holds the frames; replaying it reproduces the run", () => {
    const spec = hostOnly();
    const hmac = hostMac(spec);
    const frames = [
      arpRequest(OUTSIDER_MAC, OUTSIDER_IP, HOST_IP),
      echoRequest(hmac, OUTSIDER_MAC, OUTSIDER_IP, HOST_IP, 7, 1),
    ];
    const c = tmp();
    const d = tmp();
    const first = replayCapture({ bytes: pcapOf(frames, [0, 333_333]), name: "in.pcap" }, spec, {
      into: "vm1:eth0",
      speed: 3,
      captureDir: c,
      source: { text: HOST_ONLY, origin: "ho.yaml" },
    });
    expect(first.record.edges.frames).toBe(2);
    const loaded = loadRunDir(c);
    expect(loaded.recording.frames.map((f) => [f.edge, f.at])).toEqual([
      ["vm1.eth0", 0],
      ["vm1.eth0", 111_111],
    ]);
    const rep = replayRun(c, { captureDir: d });
    expect(rep.verification.ok).toBe(true);
    for (const f of readdirSync(c))
      expect(hex(readFileSync(join(d, f))), f).toBe(hex(readFileSync(join(c, f))));
    // The host answered in both.
    const host = records(readFileSync(join(d, "host-vboxnet0.pcap")));
    expect(host.some((x) => x.data[13] === 0 && x.data[23] === 1 && x.data[34] === 0)).toBe(true);
  });

  it("a spec made in code is kept as topology.json and replays the same", () => {
    const a = tmp();
    const b = tmp();
    const spec = topology("coded", { seed: 9, duration: s(4) })
      .network("seg", { mode: "isolated", subnet: "10.9.0.0/24" })
      .vm("x", { nics: ["seg"] })
      .vm("y", { nics: [{ network: "seg", link: { delay: ms(3), jitter: ms(1), loss: 0.1 } }] })
      .ping(s(1), { from: "x", to: "y", count: 3 })
      .build();
    runTopology(spec, { captureDir: a, origin: "code" });
    expect(JSON.parse(readFileSync(join(a, "topology.json"), "utf8"))).toEqual(
      JSON.parse(JSON.stringify(spec)),
    );
    const rep = replayRun(a, { captureDir: b });
    expect(rep.verification.ok).toBe(true);
    expect(rep.record.source).toBe("code");
  });

  it("a changed capture or a broken run directory is reported", () => {
    const a = tmp();
    runTopology(hostOnly(), { captureDir: a, source: { text: HOST_ONLY, origin: null }, duration: s(1) });
    const rj = JSON.parse(readFileSync(join(a, "run.json"), "utf8"));
    rj.captures[0].sha256 = "0".repeat(64);
    writeFileSync(join(a, "run.json"), JSON.stringify(rj));
    const rep = replayRun(a);
    expect(rep.verification.ok).toBe(false);
    expect(rep.verification.differ).toEqual(["vm1-eth0.pcap"]);

    const empty = tmp();
    expect(() => loadRunDir(empty)).toThrow(
      new ReplayError(`${empty}: not a vnet run directory (no run.json; vnet run --capture-dir writes one)`),
    );
    writeFileSync(join(empty, "run.json"), "{");
    expect(() => loadRunDir(empty)).toThrow(/run\.json: not valid JSON/);
    writeFileSync(join(empty, "run.json"), JSON.stringify({ ...rj, seed: "x" }));
    expect(() => loadRunDir(empty)).toThrow(/run\.json: seed: /);
  });
});
