/**
 * Fuzz targets shared by `npm test` (test/robustness/fuzz.test.ts, a few hundred cases each) and
 * `npm run fuzz` (scripts/fuzz.ts, 10^6 cases each by default, with --seed/--path/--only to replay).
 *
 * Contract checked: a parser given arbitrary bytes either returns or throws its module's own error
 * class (WireError, CaptureError, TopologyError, FramingError); a device entry point never throws at
 * all (malformed input is counted and dropped), and a simulated run after it ends (no hang).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { StreamDecoder } from "../../attach/index.js";
import { CaptureError, readCaptureBytes } from "../../captures/index.js";
import { Port } from "../../netdev/index.js";
import { Simulator } from "../../sim/simulator.js";
import { ms, s } from "../../sim/time.js";
import { buildTopology, type Network, topology } from "../../topology/index.js";
import { TopologyError } from "../../topology/spec.js";
import { UnitError } from "../../topology/units.js";
import { parseTopologyYaml } from "../../topology/yaml.js";
import { VlanDemux } from "../../vlan/index.js";
import {
  ArpPacket,
  DhcpPacket,
  DnsPacket,
  dnsQuery,
  EthernetFrame,
  encodeDns,
  Icmpv4Packet,
  Icmpv6Packet,
  type Ipv4,
  Ipv4Packet,
  Ipv6Packet,
  internetChecksum,
  l4ChecksumV4,
  parseArp,
  parseBpdu,
  parseDhcp,
  parseDns,
  parseEthernet,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv4,
  parseIpv6,
  parseTcp,
  parseUdp,
  parseVlan,
  pseudoV4,
  StpBpdu,
  TcpPacket,
  UdpPacket,
  VlanTag,
  WireError,
  walkIpv6ExtHeaders,
  walkVlanTags,
} from "../../wire/index.js";

export interface FuzzTarget {
  readonly name: string;
  /** What the target is fed. */
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Throws (any error) when the contract is broken. */
  readonly run: (input: never) => void;
  /** Cases per run are costlier than a parser's: the runner divides its default count by this. */
  readonly cost?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from scripts/fuzz/ in the sources or dist/scripts/fuzz/ when built. */
export const ROOT = here.includes(join("dist", "scripts"))
  ? join(here, "..", "..", "..")
  : join(here, "..", "..");

/** Only `cls` may escape `fn`; anything else is a bug (a TypeError, a RangeError …). */
function onlyThrows(fn: () => void, ...classes: (abstract new (...a: never[]) => Error)[]): void {
  try {
    fn();
  } catch (e) {
    if (classes.some((c) => e instanceof c)) return;
    throw e;
  }
}

/** Arbitrary bytes, and arbitrary cuts of them (truncation). */
export const bytesArb = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.tuple(fc.uint8Array({ maxLength }), fc.nat()).map(([b, n]) => b.subarray(0, n % (b.byteLength + 1))),
  );

// ---------------------------------------------------------------------------------------------------
// Structured frames: mostly-valid headers (right lengths and checksums) around arbitrary bytes, so the
// fuzz gets past the first length check into the code behind it, then cut at an arbitrary offset.

const GW_MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

export function ipv4Header(
  proto: number,
  src: number,
  dst: number,
  payloadLen: number,
  extra: Uint8Array,
): Uint8Array {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  h[0] = 0x45;
  dv.setUint16(2, 20 + payloadLen);
  dv.setUint16(4, extra[0] ?? 0);
  h[6] = (extra[1] ?? 0) & 0x40; // DF or nothing; fragments come from the arbitrary branch
  h[8] = (extra[2] ?? 64) || 1;
  h[9] = proto;
  dv.setUint32(12, src);
  dv.setUint32(16, dst);
  dv.setUint16(10, internetChecksum(h));
  return h;
}

export function udpDatagram(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  payload: Uint8Array,
): Uint8Array {
  const u = new Uint8Array(8 + payload.byteLength);
  const dv = new DataView(u.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint16(4, u.byteLength);
  u.set(payload, 8);
  dv.setUint16(6, l4ChecksumV4(src as Ipv4, dst as Ipv4, 17, u) || 0xffff);
  return u;
}

const ADDRS = [
  0x0a00_0202, // 10.0.2.2 gateway (slirp)
  0x0a00_0203, // 10.0.2.3 DNS
  0x0a00_020f, // 10.0.2.15 first DHCP lease
  0xc633_640a, // 198.51.100.10 outside server
  0xffff_ffff,
  0x0a00_02ff,
  0xe000_0001,
  0,
];

export const ipAddrArb = fc.oneof(
  fc.constantFrom(...ADDRS),
  fc.nat().map((n) => n >>> 0),
);

/** Address and port of the services of the device world (slirp-like NAT network) and outside. */
const SERVICES: readonly (readonly [number, number])[] = [
  [0xffff_ffff, 67],
  [0x0a00_0202, 67],
  [0x0a00_0203, 53],
  [0xc633_6435, 53],
  [0xc633_640a, 7],
];

/** Arbitrary bytes made to look like the service's messages at their first check (a copy). */
function serviceShape(dport: number, payload: Uint8Array): Uint8Array {
  const b = payload.slice();
  if (dport === 67 && b.byteLength >= 243) {
    b[0] = 1; // BOOTREQUEST
    b.set([0x63, 0x82, 0x53, 0x63, 53, 1, 1 + (b[242] % 8)], 236); // cookie, message type 1..8
  } else if (dport === 53 && b.byteLength >= 4 && b[3] % 3 === 0) {
    // A well-formed query, a name picked by the bytes, one byte then overwritten (or none).
    const names = ["web.example.net", "vm1", "vm1.vnet.internal", "x".repeat(63), "a.b.c.d.e.f.g", "."];
    const q = encodeDns(
      dnsQuery({ id: b[0], name: names[b[1] % names.length], type: [1, 28, 12, 255][b[2] % 4] }),
    );
    if (b[3] % 2 === 0 && b.byteLength > 5) q[b[4] % q.byteLength] = b[5];
    return q;
  } else if (dport === 53 && b.byteLength >= 3) {
    b[2] &= 0x7f; // a query (QR clear)
  }
  return b;
}

/** An Ethernet frame: destination, EtherType and an IPv4 (UDP to 67/53/7, ICMP, TCP, other), ARP or raw body. */
export const frameArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    dst: fc.oneof(
      { arbitrary: fc.constant(GW_MAC), weight: 2 },
      fc.constant(BCAST),
      fc.array(fc.nat(255), { minLength: 6, maxLength: 6 }),
    ),
    src: fc.array(fc.nat(255), { minLength: 6, maxLength: 6 }),
    tags: fc.oneof(
      { arbitrary: fc.constant([] as { tpid: number; tci: number }[]), weight: 3 },
      fc.array(fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8), tci: fc.nat(0xffff) }), { maxLength: 2 }),
    ),
    kind: fc.constantFrom("udp", "udp", "icmp", "tcp", "ip-other", "arp", "raw"),
    sip: ipAddrArb,
    dip: ipAddrArb,
    sport: fc.oneof(fc.constantFrom(68, 53, 7, 1024), fc.nat(0xffff)),
    dport: fc.oneof(fc.constantFrom(67, 53, 7, 68), fc.nat(0xffff)),
    proto: fc.nat(255),
    // Small and large payloads alike (fast-check's default size keeps arrays short).
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: 12, maxLength: 600, size: "max" }),
    ),
    extra: fc.uint8Array({ minLength: 3, maxLength: 3 }),
    // Half the UDP frames go to a service that listens: DHCP (broadcast and unicast), DNS, echo.
    svc: fc.option(fc.constantFrom(...SERVICES), { freq: 2 }),
    unicastSrc: fc.boolean(),
    cut: fc.option(fc.nat(), { freq: 4 }),
  })
  .map((r) => {
    let et = 0x0800;
    let body: Uint8Array;
    switch (r.kind) {
      case "udp": {
        const [dip, dport] = r.svc ?? [r.dip, r.dport];
        const pl = r.svc === null ? r.payload : serviceShape(dport, r.payload);
        // A service's client is usually a plausible one (a lease of the pool), else any address.
        const sip = r.svc !== null && r.unicastSrc ? 0x0a00_020f + (r.sip & 0xf) : r.sip;
        const u = udpDatagram(sip, dip, r.sport, dport, pl);
        body = concat(ipv4Header(17, sip, dip, u.byteLength, r.extra), u);
        break;
      }
      case "icmp": {
        const m = new Uint8Array(Math.max(8, r.payload.byteLength));
        m.set(r.payload.subarray(0, m.byteLength));
        m[2] = 0;
        m[3] = 0;
        const c = internetChecksum(m);
        m[2] = c >>> 8;
        m[3] = c & 0xff;
        body = concat(ipv4Header(1, r.sip, r.dip, m.byteLength, r.extra), m);
        break;
      }
      case "tcp":
        body = concat(ipv4Header(6, r.sip, r.dip, r.payload.byteLength, r.extra), r.payload);
        break;
      case "ip-other":
        body = concat(ipv4Header(r.proto, r.sip, r.dip, r.payload.byteLength, r.extra), r.payload);
        break;
      case "arp": {
        et = 0x0806;
        const a = new Uint8Array(28);
        a.set([0, 1, 8, 0, 6, 4, 0, (r.extra[0] ?? 1) & 3]);
        a.set(r.src, 8);
        new DataView(a.buffer).setUint32(14, r.sip);
        new DataView(a.buffer).setUint32(24, r.dip);
        body = a;
        break;
      }
      default:
        et = r.proto << 8;
        body = r.payload;
    }
    const hdr = new Uint8Array(14 + 4 * r.tags.length);
    hdr.set(r.dst, 0);
    hdr.set(r.src, 6);
    if (r.unicastSrc) hdr[6] &= 0xfe;
    let o = 12;
    for (const t of r.tags) {
      hdr.set([t.tpid >>> 8, t.tpid & 0xff, t.tci >>> 8, t.tci & 0xff], o);
      o += 4;
    }
    hdr.set([et >>> 8, et & 0xff], o);
    const f = concat(hdr, body);
    return r.cut === null ? f : f.subarray(0, r.cut % (f.byteLength + 1));
  });

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.byteLength + b.byteLength);
  r.set(a);
  r.set(b, a.byteLength);
  return r;
}

/** Arbitrary bytes or a structured frame. */
export const anyFrameArb = fc.oneof(
  { arbitrary: frameArb, weight: 3 },
  { arbitrary: bytesArb(200), weight: 1 },
);

// ---------------------------------------------------------------------------------------------------
// Parsers

const IP_PSEUDO = pseudoV4(0x0a00_0001 as Ipv4, 0x0a00_0002 as Ipv4);

function wireTarget(name: string, maxLength: number, fn: (b: Uint8Array) => void): FuzzTarget {
  return {
    name: `wire:${name}`,
    arbitrary: bytesArb(maxLength),
    run: ((b: Uint8Array) => onlyThrows(() => fn(b), WireError)) as (input: never) => void,
  };
}

const wireTargets: FuzzTarget[] = [
  wireTarget("ethernet", 64, (b) => parseEthernet(EthernetFrame.checked(b))),
  wireTarget("vlan", 64, (b) => {
    walkVlanTags(b);
    parseVlan(VlanTag.checked(b));
  }),
  wireTarget("arp", 64, (b) => parseArp(ArpPacket.checked(b))),
  wireTarget("ipv4", 100, (b) => parseIpv4(Ipv4Packet.checked(b))),
  wireTarget("ipv6", 200, (b) => {
    const p = Ipv6Packet.checked(b);
    parseIpv6(p);
    walkIpv6ExtHeaders(b.subarray(40), b[6] ?? 0, 40);
  }),
  wireTarget("icmpv4", 100, (b) => parseIcmpv4(Icmpv4Packet.checked(b))),
  wireTarget("icmpv6", 200, (b) => parseIcmpv6(Icmpv6Packet.checked(b), null)),
  wireTarget("udp", 64, (b) => parseUdp(UdpPacket.checked(b), null)),
  wireTarget("udp-checksummed", 64, (b) => parseUdp(UdpPacket.checked(b), IP_PSEUDO)),
  wireTarget("tcp", 100, (b) => parseTcp(TcpPacket.checked(b), null)),
  wireTarget("tcp-checksummed", 100, (b) => parseTcp(TcpPacket.checked(b), IP_PSEUDO)),
  wireTarget("dhcp", 400, (b) => {
    if (b.byteLength >= 240 && b[0] === 0) b.set([0x63, 0x82, 0x53, 0x63], 236);
    parseDhcp(DhcpPacket.checked(b));
  }),
  wireTarget("dns", 300, (b) => parseDns(DnsPacket.checked(b))),
  wireTarget("stp", 64, (b) => parseBpdu(StpBpdu.checked(b))),
];

/**
 * Captures to cut and mutate: examples/quickstart.pcap and, when ../shared/corpus is there, its small
 * pcap and pcapng files (valid and malformed ones: libpcap, tcpdump, pcapng-test-generator), sorted.
 */
function seedCaptures(): Uint8Array[] {
  const files = [join(ROOT, "examples", "quickstart.pcap")];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // no corpus: the examples and the arbitrary branches still run
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.pcap(ng)?$/.test(n) && statSync(p).size <= 16_384) files.push(p);
    }
  };
  walk(join(ROOT, "..", "shared", "corpus"));
  const out: Uint8Array[] = [];
  for (const f of files) {
    try {
      out.push(new Uint8Array(readFileSync(f)));
    } catch {
      /* absent */
    }
  }
  return out;
}

let captureSeeds: Uint8Array[] | null = null;

/** A valid capture with bytes flipped and cut anywhere, or arbitrary bytes with a capture magic. */
const captureArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      seed: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
      cut: fc.option(fc.nat()),
    })
    .map(({ seed, flips, cut }) => {
      captureSeeds ??= seedCaptures();
      if (captureSeeds.length === 0) return new Uint8Array(0);
      const b = captureSeeds[seed % captureSeeds.length].slice();
      for (const [at, v] of flips) b[at % b.byteLength] = v;
      return cut === null ? b : b.subarray(0, cut % (b.byteLength + 1));
    }),
  fc
    .tuple(
      fc.constantFrom(
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0x0a, 0x0d, 0x0d, 0x0a],
      ),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([m, rest]) => concat(Uint8Array.from(m), rest)),
  fc.uint8Array({ maxLength: 100 }),
);

const captureTarget: FuzzTarget = {
  name: "captures:reader",
  arbitrary: captureArb,
  run: ((b: Uint8Array) =>
    onlyThrows(() => {
      const r = readCaptureBytes(b, "fuzz.pcap");
      let n = 0;
      for (const rec of r) {
        if (rec.data.byteLength > b.byteLength) throw new Error("record longer than the file");
        n++;
      }
      if (n > b.byteLength) throw new Error("more records than bytes");
    }, CaptureError)) as (input: never) => void,
};

let yamlSeeds: string[] | null = null;
function seedYaml(): string[] {
  const dir = join(ROOT, "examples");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

const YAML_TOKENS = [
  "\n",
  ": ",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "10ms",
  "5",
  "-1",
  "1e400",
  "0x10",
  "nat",
  "vm1",
  "10.0.2.0/33",
  "300.1.1.1",
  "&a ",
  "*a",
  "!!binary ",
  "~",
  "'",
  '"',
  "#",
  "  ",
  "\t",
  "__proto__",
  "constructor",
  "mbit",
];

/** A mutation of an example file: delete, duplicate or insert tokens at arbitrary places. */
const yamlArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      seed: fc.nat(),
      edits: fc.array(
        fc.record({ at: fc.nat(), len: fc.nat(40), op: fc.nat(3), tok: fc.constantFrom(...YAML_TOKENS) }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map(({ seed, edits }) => {
      yamlSeeds ??= seedYaml();
      let t = yamlSeeds[seed % yamlSeeds.length];
      for (const e of edits) {
        const at = e.at % (t.length + 1);
        if (e.op === 0) t = t.slice(0, at) + t.slice(at + e.len);
        else if (e.op === 1) t = t.slice(0, at) + t.slice(at, at + e.len) + t.slice(at);
        else t = t.slice(0, at) + e.tok + t.slice(at);
      }
      return t;
    }),
  fc.string({ maxLength: 200 }),
  fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 40 }).map((a) => a.join("")),
);

const yamlTarget: FuzzTarget = {
  name: "topology:yaml",
  arbitrary: yamlArb,
  run: ((t: string) =>
    onlyThrows(
      () => {
        // A warning printed by the YAML library (on stderr, not an error with a line) is a failure too.
        const emit = process.emitWarning;
        let warned: string | null = null;
        process.emitWarning = ((w: string | Error) => {
          warned = String(w);
        }) as typeof process.emitWarning;
        try {
          parseTopologyYaml(t, "fuzz.yaml");
        } catch (e) {
          // The contract: one clear error naming the file (and a line when the text has one).
          if (e instanceof TopologyError && !e.message.startsWith("fuzz.yaml")) {
            throw new Error(`error without the file name: ${e.message}`);
          }
          throw e;
        } finally {
          process.emitWarning = emit;
        }
        if (warned !== null) throw new Error(`the YAML loader printed a warning: ${warned}`);
      },
      TopologyError,
      UnitError,
    )) as (input: never) => void,
};

const streamTarget: FuzzTarget = {
  name: "attach:stream-decoder",
  arbitrary: fc.tuple(bytesArb(4000), fc.array(fc.nat(300), { maxLength: 10 }), fc.nat(9000)),
  run: (([b, cuts, max]: [Uint8Array, number[], number]) => {
    // A decoder is a receive path: errors are returned, never thrown.
    let got = 0;
    const d = new StreamDecoder(
      (f) => {
        got += f.byteLength + 4;
      },
      { maxFrameLen: Math.max(14, max) },
    );
    let at = 0;
    for (const c of cuts) {
      if (d.push(b.subarray(at, at + c)) !== null) return;
      at += c;
    }
    if (d.push(b.subarray(at)) !== null) return;
    d.end();
    if (got > b.byteLength) throw new Error(`decoded ${got} bytes out of ${b.byteLength}`);
  }) as (input: never) => void,
};

// ---------------------------------------------------------------------------------------------------
// Devices

/** A NAT network (bridge, gateway stack with NAT, DHCP and DNS servers, one VM) and a fuzz port on each bridge. */
export function deviceWorld(seed = 1): { sim: Simulator; net: Network; inject: Port[] } {
  const sim = new Simulator({ seed });
  const spec = topology("fuzz", { seed, duration: s(1) })
    .network("lan", { mode: "nat" })
    .vm("vm1", { nics: ["lan"] })
    .captures("none")
    .build();
  const net = buildTopology(spec, sim);
  const inject: Port[] = [];
  for (const [name, br] of net.bridges) {
    // A port with no peer: frames are handed to the bridge as if they came in on a link.
    const p = br.addPort(`fuzz-${name}`);
    inject.push(p);
  }
  sim.run({ until: ms(1) });
  return { sim, net, inject };
}

const deviceTarget: FuzzTarget = {
  name: "device:nat-network",
  arbitrary: fc.tuple(
    fc.array(fc.tuple(fc.nat(), anyFrameArb), { minLength: 1, maxLength: 8 }),
    fc.nat(1000),
  ),
  cost: 20,
  run: (([frames, seed]: [[number, Uint8Array][], number]) => {
    const w = deviceWorld(seed + 1);
    for (const [k, f] of frames) w.inject[k % w.inject.length].deliver(f);
    // Also straight into the VM's NIC (the guest's IpStack receive path) and the gateway's.
    for (const [k, f] of frames) {
      const p = w.net.port(k % 3 === 0 ? "vm1.eth0" : k % 3 === 1 ? "host.lan" : "host.uplink");
      p.nic.port.deliver(f);
    }
    const r = w.sim.run({ until: w.sim.now + s(2), maxEvents: 1_000_000 });
    if (r.stoppedBy === "maxEvents") throw new Error("no quiescence after 10^6 events: a hang");
  }) as (input: never) => void,
};

const vlanTarget: FuzzTarget = {
  name: "device:vlan-demux",
  arbitrary: fc.array(anyFrameArb, { minLength: 1, maxLength: 8 }),
  run: ((frames: Uint8Array[]) => {
    const sim = new Simulator();
    const parent = new Port(sim, "eth0");
    const demux = new VlanDemux(parent);
    const subs = [demux.add(1), demux.add(2), demux.add(100, { tpid: 0x88a8 })];
    let seen = 0;
    for (const p of [demux.untagged, ...subs]) p.onReceive(() => seen++);
    for (const f of frames) parent.deliver(f);
    // Every frame is handed to exactly one child or counted as dropped on one.
    const dropped = [parent, demux.untagged, ...subs].reduce((n, p) => n + p.counters.rxDropped, 0);
    if (seen > frames.length)
      throw new Error(`${frames.length} frames in, ${seen} handed up (${dropped} dropped)`);
    if (seen > frames.length) throw new Error(`${frames.length} frames in, ${seen} handed up`);
  }) as (input: never) => void,
};

export const TARGETS: readonly FuzzTarget[] = [
  ...wireTargets,
  captureTarget,
  yamlTarget,
  streamTarget,
  vlanTarget,
  deviceTarget,
];

export function target(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}; known: ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
