/**
 * The Linux side of the router and NAT differential tests: a router namespace with two veths, `lan` and
 * `wan`, whose peer ends (`eth0` in namespaces `lan` and `wan`) have no addresses and stay silent; they
 * are where frames are injected (tcpreplay) and where what the router sends is captured (tcpdump, `-Q in`
 * on the peer end = what the router sent out of that side). PERMANENT neighbour entries replace ARP.
 *
 * Test-only code: it spawns processes and reads the wall clock.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { readCaptureBytes } from "../../captures/reader.js";
import { type Capture, NetnsLab, netnsSupport } from "./netns.js";
import {
  type ConntrackEntry,
  parseConntrack,
  type RouterRig,
  type RouterScript,
  type RouterSetup,
  type Side,
} from "./router-rig.js";

/** Extra commands the router lab needs beyond the lab's own (Debian packages iptables, conntrack). */
export const ROUTER_TOOLS = ["iptables", "conntrack", "sysctl"] as const;

/** MACs of the silent peer ends (never a destination of anything the router sends). */
const PEER_MAC: Record<Side, string> = { lan: "0a:00:00:00:02:01", wan: "0a:00:00:00:02:02" };

/** Wall time given to the kernel after each injected frame (ms). */
const GAP_MS = 25;

let routerSupportCache: ReturnType<typeof netnsSupport> | undefined;

/**
 * Whether the router lab can run: the lab's own check plus iptables (nat table) and conntrack in a
 * throw-away namespace. Separate from `netnsSupport()` so the bridge test does not need these tools.
 */
export function routerLabSupport(): ReturnType<typeof netnsSupport> {
  if (routerSupportCache) return routerSupportCache;
  routerSupportCache = probe();
  return routerSupportCache;
}

function probe(): ReturnType<typeof netnsSupport> {
  const base = netnsSupport();
  if (!base.ok) return base;
  let lab: NetnsLab | undefined;
  try {
    lab = NetnsLab.create();
    const ns = lab.addNamespace("probe");
    for (const tool of ROUTER_TOOLS) {
      try {
        lab.exec(ns, ["sh", "-c", `command -v ${tool}`]);
      } catch {
        return { ok: false, reason: `missing ${tool} (apt-get install iptables conntrack procps)` };
      }
    }
    lab.exec(ns, ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "lo", "-j", "MASQUERADE"]);
    lab.exec(ns, ["conntrack", "-L"]);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `iptables nat / conntrack unusable in a namespace: ${(e as Error).message}` };
  } finally {
    lab?.destroySync();
  }
}

/**
 * The frames in a pcap file that tcpdump is still writing (`-U`: whole packets are flushed): the
 * complete records so far. A file not yet flushed (no header) has none.
 */
function framesSoFar(file: string): Uint8Array[] {
  if (!existsSync(file)) return [];
  const b = new Uint8Array(readFileSync(file));
  if (b.byteLength < 24) return [];
  const le = b[0] === 0xd4 || b[0] === 0x4d;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let end = 24;
  for (;;) {
    if (end + 16 > b.byteLength) break;
    const incl = dv.getUint32(end + 8, le);
    if (end + 16 + incl > b.byteLength) break;
    end += 16 + incl;
  }
  return [...readCaptureBytes(b.subarray(0, end), file)].map((r) => r.data.slice());
}

/** Parses `/proc/net/snmp` (pairs of header and value lines) into "Ip:InAddrErrors" → number. */
export function parseSnmp(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split("\n").filter(Boolean);
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/);
    const group = names[0].replace(/:$/, "");
    for (let k = 1; k < names.length; k++) out[`${group}:${names[k]}`] = Number(values[k]);
  }
  return out;
}

/** EtherType 0x88b5 (IEEE local experimental): the lab's own marker frames, never a test's. */
const MARKER_TYPE = 0x88b5;

function markerFrame(src: string, dst: string): Uint8Array {
  const f = new Uint8Array(60);
  f.set(macBytes(dst), 0);
  f.set(macBytes(src), 6);
  f[12] = MARKER_TYPE >> 8;
  f[13] = MARKER_TYPE & 0xff;
  f.set(new TextEncoder().encode("vnet netns sync"), 14);
  return f;
}

function macBytes(s: string): Uint8Array {
  return Uint8Array.from(s.split(":"), (h) => Number.parseInt(h, 16));
}

function isMarker(f: Uint8Array): boolean {
  return f.byteLength >= 14 && ((f[12] << 8) | f[13]) === MARKER_TYPE;
}

/** Waits (≤ 5 s) until `ifname` has its real qdisc (`noqueue` on a veth), not `noop` (link not yet active). */
async function waitQdisc(lab: NetnsLab, ns: string, ifname: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const out = lab.exec(ns, ["ip", "link", "show", "dev", ifname]);
    if (!/qdisc noop\b/.test(out)) return;
    if (Date.now() > deadline) throw new Error(`${ifname} never got its qdisc: ${out}`);
    await sleep(20);
  }
}

/**
 * Builds `setup` in namespaces, runs `script` against it, tears everything down (also on failure) and
 * returns what the script returned.
 */
export async function runLinuxRouter<T>(setup: RouterSetup, script: RouterScript<T>): Promise<T> {
  const lab = NetnsLab.create();
  try {
    const r = lab.addNamespace("r");
    const sideNs: Record<Side, string> = { lan: lab.addNamespace("lan"), wan: lab.addNamespace("wan") };
    const sysctl = (kv: string) => lab.exec(r, ["sysctl", "-q", "-w", kv]);
    // Linux defaults written out where a test depends on them (a fresh namespace has them already).
    sysctl(`net.ipv4.ip_forward=${setup.forwarding ? 1 : 0}`);
    sysctl("net.ipv4.conf.all.rp_filter=0");
    sysctl("net.ipv4.conf.default.rp_filter=0");
    for (const side of ["lan", "wan"] as const) {
      const s = setup[side];
      lab.addVeth(r, side, sideNs[side], "eth0", { a: s.mac, b: PEER_MAC[side] });
      if (s.mtu !== undefined) lab.exec(r, ["ip", "link", "set", side, "mtu", String(s.mtu)]);
      lab.exec(r, ["ip", "addr", "add", s.cidr, "dev", side]);
    }
    for (const n of setup.neighbours) {
      lab.exec(r, ["ip", "neigh", "replace", n.address, "lladdr", n.mac, "dev", n.side, "nud", "permanent"]);
    }
    for (const rt of setup.routes ?? []) {
      lab.exec(r, ["ip", "route", "add", rt.dst, "via", rt.via, "dev", rt.side]);
    }
    if (setup.masquerade) {
      lab.exec(r, ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"]);
    }
    for (const d of setup.dnat ?? []) {
      lab.exec(r, [
        "iptables",
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-i",
        "wan",
        "-p",
        d.proto,
        "--dport",
        String(d.dport),
        "-j",
        "DNAT",
        "--to-destination",
        `${d.to}:${d.toPort}`,
      ]);
    }
    const caps: Record<Side, Capture> = {
      lan: await lab.startCapture(sideNs.lan, "eth0", "in"),
      wan: await lab.startCapture(sideNs.wan, "eth0", "in"),
    };
    // Link-up is asynchronous (a veth shows `qdisc noop` until linkwatch activates it) and tcpdump's
    // "listening on" may come before it sees every frame; without this wait the first frame out of a side
    // was sometimes missing on a busy machine. Wait for the qdiscs, then send a marker frame out of each
    // router interface until its capture has it.
    for (const side of ["lan", "wan"] as const) {
      await waitQdisc(lab, sideNs[side], "eth0");
      await waitQdisc(lab, r, side);
      const marker = markerFrame(setup[side].mac, PEER_MAC[side]);
      const deadline = Date.now() + 5000;
      for (;;) {
        lab.inject(r, side, [marker]);
        await sleep(GAP_MS);
        if (framesSoFar(caps[side].file).some(isMarker)) break;
        if (Date.now() > deadline) throw new Error(`capture on the ${side} side never saw the marker frame`);
      }
    }
    const t0 = Date.now();
    const rig: RouterRig = {
      async send(side, frame) {
        lab.inject(sideNs[side], "eth0", [frame]);
        await sleep(GAP_MS);
      },
      async sendBurst(side, frames) {
        lab.inject(sideNs[side], "eth0", frames);
        await sleep(GAP_MS);
      },
      async wait(seconds) {
        await sleep(seconds * 1000);
      },
      async received(side) {
        // tcpdump writes each frame when it gets the CPU: read until two reads GAP apart agree (≤ 2 s).
        let frames = framesSoFar(caps[side].file);
        const deadline = Date.now() + 2000;
        for (;;) {
          await sleep(GAP_MS);
          const again = framesSoFar(caps[side].file);
          if (again.length === frames.length || Date.now() > deadline) {
            frames = again;
            break;
          }
          frames = again;
        }
        return frames.filter((f) => !isMarker(f));
      },
      async conntrack(): Promise<ConntrackEntry[]> {
        return parseConntrack(lab.exec(r, ["conntrack", "-L"]));
      },
      async counters() {
        return parseSnmp(lab.exec(r, ["cat", "/proc/net/snmp"]));
      },
      elapsedSeconds() {
        return (Date.now() - t0) / 1000;
      },
    };
    return await script(rig);
  } finally {
    await lab.destroy();
  }
}
