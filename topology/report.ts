/**
 * What a run reports: per-VM leases and addresses, ping / UDP echo / flow results, per-port counters,
 * NAT tables (`conntrack -L`), DHCP leases (dnsmasq.leases lines), routes and neighbours of every node —
 * as one plain JSON-ready object (`vnet run --json`) and as the text summary `vnet run` prints.
 */
import type { CountersSnapshot } from "../netdev/index.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, formatMac, type Ipv4 } from "../wire/addr.js";
import type { Network, TrafficRun } from "./build.js";
import { formatDuration, formatRate } from "./units.js";

export interface LeaseReport {
  readonly vm: string;
  readonly nic: string;
  readonly mac: string;
  /** The leased address, null when the VM holds no lease at the end. */
  readonly ip: string | null;
  readonly prefixLength: number | null;
  readonly router: string | null;
  readonly dns: readonly string[];
  readonly server: string | null;
  /** DHCP client state at the end ("BOUND", "SELECTING", …). */
  readonly state: string;
}

export interface AddressReport {
  readonly node: string;
  readonly iface: string;
  readonly mac: string | null;
  readonly network: string;
  readonly addresses: readonly string[];
}

/** RTTs in milliseconds (3 decimals, as ping prints them). */
export interface RttReport {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  readonly mdev?: number;
}

/** The fields every traffic report starts with (ping, UDP echo, flow). */
export interface RunHead {
  /** When the run started (ns). */
  readonly at: number;
  readonly from: string;
  readonly to: string;
  /** The target's address (null if it never resolved). */
  readonly dst: string | null;
}

export interface PingReport extends RunHead {
  readonly sent: number;
  readonly received: number;
  readonly loss: number;
  readonly rttMs: RttReport | null;
  readonly errors: Readonly<Record<string, number>>;
  readonly error: string | null;
  /** iputils' summary lines. */
  readonly summary: string;
}

export interface UdpEchoReport extends RunHead {
  readonly port: number;
  readonly sent: number;
  readonly received: number;
  readonly loss: number;
  readonly rttMs: RttReport | null;
  readonly errors: Readonly<Record<string, number>>;
  readonly error: string | null;
}

export interface FlowReport extends RunHead {
  readonly port: number;
  readonly rate: number;
  readonly sent: number;
  readonly bytes: number;
  readonly failed: number;
  /** At the receiving node's sink (null when the target is not a node). */
  readonly received: number | null;
  readonly receivedBytes: number | null;
  readonly error: string | null;
}

export interface PortReport extends CountersSnapshot {
  readonly name: string;
  readonly node: string;
  readonly network: string;
  /** What the link toward the network dropped (loss, queue), both ways. */
  readonly linkDrops: number;
}

export interface NatReport {
  readonly node: string;
  readonly networks: readonly string[];
  /** `conntrack -L` lines. */
  readonly conntrack: string;
  readonly entries: readonly unknown[];
  readonly stats: Readonly<Record<string, number>>;
}

export interface DhcpReport {
  readonly network: string;
  readonly node: string;
  readonly leases: readonly {
    mac: string;
    ip: string;
    hostname: string | null;
    expires: number;
    state: string;
  }[];
  /** dnsmasq.leases-like lines. */
  readonly text: string;
  readonly stats: Readonly<Record<string, number>>;
}

export interface NodeReport {
  readonly name: string;
  readonly kind: string;
  readonly running: boolean;
  /** IP forwarding (`net.ipv4.ip_forward`). */
  readonly forwarding: boolean;
  /** `ip route show`. */
  readonly routes: string;
  /** `ip neigh show`. */
  readonly neighbours: string;
  readonly stats: unknown;
}

export interface CaptureReport {
  readonly port: string;
  readonly file: string | null;
  readonly records: number;
}

export interface RunReport {
  readonly name: string;
  readonly seed: number;
  /** Virtual time run, ns. */
  readonly duration: number;
  /** Simulator events executed. */
  readonly events: number;
  readonly leases: readonly LeaseReport[];
  readonly addresses: readonly AddressReport[];
  readonly pings: readonly PingReport[];
  readonly udpEchoes: readonly UdpEchoReport[];
  readonly flows: readonly FlowReport[];
  readonly faults: readonly {
    at: number;
    fault: string;
    target: string;
    applied: boolean;
    error: string | null;
  }[];
  readonly ports: readonly PortReport[];
  readonly nat: readonly NatReport[];
  readonly dhcp: readonly DhcpReport[];
  readonly nodes: readonly NodeReport[];
  readonly hostFilterDrops: Readonly<Record<string, number>>;
  /** Static routes a node refused (gateway not on a connected network). */
  readonly routeErrors: readonly { readonly node: string; readonly route: string; readonly error: string }[];
  readonly captures: readonly CaptureReport[];
}

const ipText = (a: Ipv4 | null): string | null => (a === null ? null : formatIpv4(a));
const msOf = (t: SimTime): number => Math.round(t / 1e3) / 1e3;

function rtt(
  min: SimTime | null,
  avg: SimTime | null,
  max: SimTime | null,
  mdev?: SimTime | null,
): RttReport | null {
  if (min === null || avg === null || max === null) return null;
  return { min: msOf(min), avg: msOf(avg), max: msOf(max), ...(mdev != null ? { mdev: msOf(mdev) } : {}) };
}

function dstOf(run: TrafficRun, dst: Ipv4 | null): string | null {
  if (dst !== null) return formatIpv4(dst);
  return typeof run.target === "number" ? formatIpv4(run.target) : null;
}

function runHead(run: TrafficRun, dst: Ipv4 | null | undefined): RunHead {
  return { at: run.spec.at, from: run.from, to: run.to, dst: dstOf(run, dst ?? null) };
}

/** The report of a network after (or during) a run. */
export function makeReport(net: Network, captures: readonly CaptureReport[] = []): RunReport {
  const t = net.topology;
  const leases: LeaseReport[] = [];
  for (const vm of t.vms)
    for (const nic of vm.nics) {
      if (nic.ip !== "dhcp") continue;
      const g = net.guest(vm.name);
      const c = g.dhcpClient(nic.name);
      const l = c?.lease() ?? null;
      const p = net.port(`${vm.name}.${nic.name}`);
      leases.push({
        vm: vm.name,
        nic: nic.name,
        mac: formatMac(p.nic.nic.mac),
        ip: l ? formatIpv4(l.ip) : null,
        prefixLength: l ? l.prefixLength : null,
        router: l ? ipText(l.router) : null,
        dns: l ? l.dns.map(formatIpv4) : [],
        server: l ? formatIpv4(l.server) : null,
        state: c ? String(c.state) : "none",
      });
    }
  const addresses: AddressReport[] = [...net.ports.values()].map((p) => ({
    node: p.node,
    iface: p.iface,
    mac: p.nic.iface.mac === null ? null : formatMac(p.nic.iface.mac),
    network: p.network,
    addresses: p.nic.iface.addresses.map((c) => `${formatIpv4(c.address)}/${c.prefixLength}`),
  }));

  const pings: PingReport[] = [];
  const udpEchoes: UdpEchoReport[] = [];
  const flows: FlowReport[] = [];
  for (const run of net.traffic) {
    if (run.kind === "ping") {
      const r = run.ping?.result();
      const count = "ping" in run.spec ? (run.spec.ping.count ?? 4) : 0;
      pings.push({
        ...runHead(run, r?.dst),
        sent: r?.sent ?? 0,
        received: r?.received ?? 0,
        loss: r ? r.loss : 1,
        rttMs: r ? rtt(r.rttMin, r.rttAvg, r.rttMax, r.rttMdev) : null,
        errors: r?.errors ?? {},
        error: run.error ?? r?.error ?? null,
        summary: run.ping
          ? run.ping.format()
          : `ping: ${run.error ?? "not started"} (${count} requests not sent)`,
      });
    } else if (run.kind === "udp-echo") {
      const r = run.udpEcho?.result();
      udpEchoes.push({
        ...runHead(run, r?.dst),
        port: "udpEcho" in run.spec ? (run.spec.udpEcho.port ?? 7) : 7,
        sent: r?.sent ?? 0,
        received: r?.received ?? 0,
        loss: r ? r.loss : 1,
        rttMs: r ? rtt(r.rttMin, r.rttAvg, r.rttMax) : null,
        errors: r?.errors ?? {},
        error: run.error ?? r?.error ?? null,
      });
    } else {
      const r = run.flow?.result();
      const f = "flow" in run.spec ? run.spec.flow : null;
      const fromSink = run.sink?.result().from ?? [];
      const src = new Set(
        net.networksOf(run.from).length > 0
          ? [...net.ports.values()]
              .filter((p) => p.node === run.from)
              .flatMap((p) => p.nic.iface.addresses.map((c) => c.address))
          : [],
      );
      // The sink counts what arrived from this flow's source (through NAT it is the NAT's address: all sources then).
      const mine = fromSink.filter((x) => src.has(x.address));
      const counted = mine.length > 0 ? mine : fromSink;
      flows.push({
        ...runHead(run, r?.dst),
        port: f?.port ?? 0,
        rate: f?.rate ?? 0,
        sent: r?.sent ?? 0,
        bytes: r?.bytes ?? 0,
        failed: r?.failed ?? 0,
        received: run.sink ? counted.reduce((a, x) => a + x.received, 0) : null,
        receivedBytes: run.sink ? counted.reduce((a, x) => a + x.bytes, 0) : null,
        error: run.error ?? r?.error ?? null,
      });
    }
  }

  const faults = net.faults.map((f) => {
    const s = f.spec;
    const [fault, target] =
      "linkDown" in s
        ? ["link-down", s.linkDown]
        : "linkUp" in s
          ? ["link-up", s.linkUp]
          : "stop" in s
            ? ["stop", s.stop]
            : ["start", s.start];
    return { at: s.at, fault, target, applied: f.applied, error: f.error };
  });

  const ports: PortReport[] = [...net.ports.values()].map((p) => ({
    name: p.name,
    node: p.node,
    network: p.network,
    ...p.nic.nic.counters.snapshot(),
    linkDrops: p.link.ab.stats.dropped + p.link.ba.stats.dropped,
  }));

  const nat: NatReport[] = net.nats.map((n) => ({
    node: n.node,
    networks: n.networks,
    conntrack: n.nat.format(),
    entries: n.nat.entries(),
    stats: n.nat.stats(),
  }));

  const dhcp: DhcpReport[] = net.dhcpServers.map((d) => ({
    network: d.network,
    node: d.node,
    leases: d.server.leases().map((l) => ({
      mac: formatMac(l.mac),
      ip: formatIpv4(l.ip),
      hostname: l.hostname,
      expires: l.expires,
      state: l.state,
    })),
    text: d.server.formatLeases(),
    stats: { ...d.server.stats },
  }));

  const nodes: NodeReport[] = [...net.nodes.values()].map((n) => ({
    name: n.name,
    kind: n.kind,
    running: n.guest.running,
    forwarding: n.guest.stack.forwarding,
    routes: n.guest.stack.formatRoutes(),
    neighbours: n.guest.stack.formatNeighbours(),
    stats: n.guest.stack.stats.snapshot(),
  }));

  return {
    name: t.name,
    seed: t.seed,
    duration: net.sim.now,
    events: net.sim.executed,
    leases,
    addresses,
    pings,
    udpEchoes,
    flows,
    faults,
    ports,
    nat,
    dhcp,
    nodes,
    hostFilterDrops: Object.fromEntries(net.hostFilterDrops),
    routeErrors: [...net.routeErrors],
    captures,
  };
}

/** "  1.000s a -> b (10.0.0.2)": when, who, and the address when the target was a name. */
function runLabel(h: RunHead): string {
  return `  ${formatDuration(h.at)} ${h.from} -> ${h.to}${h.dst && h.dst !== h.to ? ` (${h.dst})` : ""}`;
}

function indent(text: string, by = "    "): string {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => by + l)
    .join("\n");
}

/** The text summary `vnet run` prints. */
export function formatReport(r: RunReport, opts: { captureDir?: string | null } = {}): string {
  const out: string[] = [];
  out.push(`${r.name}: seed ${r.seed}, ${formatDuration(r.duration)} of virtual time, ${r.events} events`);

  out.push("", "Leases:");
  if (r.leases.length === 0) out.push("  (no VM uses DHCP)");
  for (const l of r.leases)
    out.push(
      l.ip
        ? `  ${l.vm}.${l.nic} ${l.mac} ${l.ip}/${l.prefixLength}${l.router ? ` via ${l.router}` : ""}${l.dns.length ? ` dns ${l.dns.join(",")}` : ""} from ${l.server}`
        : `  ${l.vm}.${l.nic} ${l.mac} no lease (${l.state})`,
    );
  const statics = r.addresses.filter(
    (a) => !r.leases.some((l) => `${l.vm}.${l.nic}` === `${a.node}.${a.iface}`),
  );
  const vmNames = new Set(r.nodes.filter((n) => n.kind === "vm").map((n) => n.name));
  const vmStatics = statics.filter((a) => vmNames.has(a.node));
  if (vmStatics.length > 0) {
    out.push("", "Static addresses:");
    for (const a of vmStatics)
      out.push(`  ${a.node}.${a.iface} ${a.mac ?? ""} ${a.addresses.join(", ") || "(none)"}`);
  }

  if (r.pings.length > 0) {
    out.push("", "Pings:");
    for (const p of r.pings) {
      out.push(`${runLabel(p)}:`);
      out.push(indent(p.error && p.sent === 0 ? `ping: ${p.error}` : p.summary.replace(/^\n+/, "")));
    }
  }
  if (r.udpEchoes.length > 0) {
    out.push("", "UDP echo:");
    for (const u of r.udpEchoes) {
      const rt = u.rttMs
        ? `, rtt min/avg/max = ${u.rttMs.min.toFixed(3)}/${u.rttMs.avg.toFixed(3)}/${u.rttMs.max.toFixed(3)} ms`
        : "";
      const err = u.error ? ` (${u.error})` : "";
      out.push(
        `${runLabel(u)} port ${u.port}: ${u.sent} sent, ${u.received} echoed, ${Math.round(u.loss * 100)}% loss${rt}${err}`,
      );
    }
  }
  if (r.flows.length > 0) {
    out.push("", "Flows:");
    for (const f of r.flows) {
      const got = f.received === null ? "" : `, ${f.received} received (${f.receivedBytes} bytes)`;
      out.push(
        `${runLabel(f)} port ${f.port} at ${formatRate(f.rate)}: ${f.sent} sent (${f.bytes} bytes)${f.failed ? `, ${f.failed} refused` : ""}${got}${f.error ? ` (${f.error})` : ""}`,
      );
    }
  }
  if (r.faults.length > 0) {
    out.push("", "Faults:");
    for (const f of r.faults)
      out.push(
        `  ${formatDuration(f.at)} ${f.fault} ${f.target}${f.applied ? "" : ` (not applied: ${f.error})`}`,
      );
  }

  out.push("", "Ports (as the node sees its NIC):");
  const w = Math.max(4, ...r.ports.map((p) => p.name.length));
  out.push(
    `  ${"port".padEnd(w)} ${"rx pkts".padStart(9)} ${"rx bytes".padStart(10)} ${"tx pkts".padStart(9)} ${"tx bytes".padStart(10)} ${"dropped".padStart(8)} ${"link drops".padStart(10)}`,
  );
  for (const p of r.ports)
    out.push(
      `  ${p.name.padEnd(w)} ${String(p.rxPackets).padStart(9)} ${String(p.rxBytes).padStart(10)} ${String(p.txPackets).padStart(9)} ${String(p.txBytes).padStart(10)} ${String(p.rxDropped + p.txDropped).padStart(8)} ${String(p.linkDrops).padStart(10)}`,
    );

  for (const n of r.nat) {
    out.push("", `NAT on ${n.node} (${n.networks.join(", ")}), conntrack -L:`);
    out.push(n.conntrack.trim() ? indent(n.conntrack, "  ") : "  (empty)");
  }
  for (const d of r.dhcp) {
    out.push("", `DHCP leases of ${d.network} (server on ${d.node}):`);
    out.push(d.text.trim() ? indent(d.text, "  ") : "  (none)");
  }
  const filtered = Object.entries(r.hostFilterDrops);
  if (filtered.length > 0)
    out.push("", `Host forwarding refused: ${filtered.map(([k, v]) => `${k} ${v}`).join(", ")}`);

  if (r.captures.length > 0) {
    const files = r.captures.filter((c) => c.file !== null);
    out.push(
      "",
      opts.captureDir
        ? `Captures (${files.length} files in ${opts.captureDir}):`
        : `Captures (${r.captures.length} ports, in memory):`,
    );
    const cw = Math.max(...r.captures.map((c) => (c.file ?? c.port).length));
    for (const c of r.captures)
      out.push(`  ${(c.file ?? c.port).padEnd(cw)} ${String(c.records).padStart(7)} frames`);
  }
  return `${out.join("\n")}\n`;
}
