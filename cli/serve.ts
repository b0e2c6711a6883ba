/**
 * `vnet serve [TOPO] [--listen unix:DIR | tcp:127.0.0.1:PORT | udp:127.0.0.1:PORT] [--record DIR]
 * [--attach vm1,vm2] [--seed N] [--duration 10m]`: runs a topology in real time with real VMs plugged
 * into it.
 *
 * Which NICs: every NIC of every VM in the topology's `vms:` (or of the VMs named by `--attach`) is a slot
 * for a real VM — what a QEMU user expects when the topology says "vm1 on lan": the simulated stand-in
 * goes quiet (its NICs stay, with no address, no DHCP client, no apps, no routes; traffic items from or
 * to it are left out) and whatever the real VM sends enters at its NIC. Routers, the host, servers and
 * VMs not named by `--attach` stay simulated.
 *
 * For each slot it opens an attach point (a unix socket `DIR/vm1.eth0.sock`, or consecutive loopback TCP
 * or UDP ports) and prints the `-netdev … -device virtio-net-pci,netdev=…,mac=…` flags to give QEMU (the
 * MAC is the topology's, so DHCP reservations and the NIC's own filter agree). It then runs the simulator
 * with its clock following the wall clock (attach/realtime.ts) until SIGINT/SIGTERM (or `--duration` of
 * real time) and closes everything cleanly.
 *
 * The session directory (`--record`, default `./vnet-NAME`) is a run directory `vnet replay DIR`
 * re-runs in virtual time: the topology as served (`topology.json`: the slots' stand-ins quiet), every
 * frame the real VMs sent as the edge recording (`edges.pcapng`, through topology/edges.ts, at its
 * arrival instant), the captures of every port, `run.json` (seed, the session's length) — and
 * `attach.json` (the attach points, their counters and peers), which replay does not need.
 */
import { createSocket } from "node:dgram";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import {
  type AttachLog,
  type AttachPoint,
  DgramAttach,
  type Endpoint,
  formatEndpoint,
  parseEndpoint,
  type QemuBackend,
  qemuNetdevId,
  qemuNicArgs,
  RealtimeDriver,
  StreamServerAttach,
  shellLine,
  stderrLog,
  TapAttach,
  TapError,
} from "../attach/index.js";
import { type CapturePoint, capture } from "../captures/index.js";
import { Simulator } from "../sim/index.js";
import { formatTime } from "../sim/time.js";
import {
  buildTopology,
  captureFileName,
  EDGES_FILE,
  type Edges,
  formatDuration,
  makeReport,
  type Network,
  type NodePort,
  networkEdges,
  RUN_FILE,
  type RunFileRecord,
  type RunRecord,
  type RunReport,
  sha256File,
  type TapSpec,
  TOPOLOGY_JSON_FILE,
  TopologyError,
  type TopologySpec,
  type TrafficSpec,
  vnetVersion,
} from "../topology/index.js";
import type { CaptureReport } from "../topology/report.js";
import { formatMac, type Mac, writeMac } from "../wire/addr.js";
import { UsageError } from "./errors.js";
import type { Output } from "./output.js";
import { durationOf, printReport, seedOf, type TopologyInput, topologyInput } from "./run.js";

/** Longest unix socket path Linux takes (sun_path is 108 bytes with the terminating NUL). */
const UNIX_PATH_MAX = 107;

/** The attach-point file in a session directory (not needed by replay). */
export const ATTACH_FILE = "attach.json";

export interface ServeArgs {
  readonly file?: string;
  readonly topo?: string;
  /** `unix:DIR` (default: the session directory), `tcp:127.0.0.1:PORT`, `udp:127.0.0.1:PORT`. */
  readonly listen?: string;
  /** The session directory (default `vnet-NAME`). */
  readonly record?: string;
  /** VM names (comma-separated, repeatable) whose NICs are slots; default all VMs. */
  readonly attach?: readonly string[];
  readonly seed?: string;
  /** Stop after this much real time (default: run until SIGINT/SIGTERM). */
  readonly duration?: string;
}

/** A VM NIC served to a real VM. */
export interface ServedNic {
  /** The edge (`vm1.eth0`). */
  readonly edge: string;
  readonly vm: string;
  readonly network: string;
  /** The NIC's MAC as the topology (or the seed) gives it, `52:54:00:…`. */
  readonly mac: string;
  readonly attach: AttachPoint;
  /** How QEMU connects (null for a TAP slot: the kernel's stack is the peer). */
  readonly backend: QemuBackend | null;
  /** `-netdev … -device …` words for QEMU (none for a TAP slot). */
  readonly qemuArgs: readonly string[];
  /** The TAP device of a `tap:` NIC. */
  readonly tap?: TapSpec;
}

/**
 * The topology with the slots' stand-ins made quiet: their NICs keep network, name, MAC and link, but
 * get no address (`ip: none`, so no DHCP client), and the VM no routes, UDP echo or forwarding. Traffic
 * items from or to them are left out (returned, to tell the user).
 */
export function quietVms(
  spec: TopologySpec,
  vms: ReadonlySet<string>,
): { spec: TopologySpec; dropped: TrafficSpec[] } {
  const out: Record<string, TopologySpec["vms"][string]> = {};
  for (const [name, vm] of Object.entries(spec.vms)) {
    if (!vms.has(name)) {
      out[name] = vm;
      continue;
    }
    out[name] = {
      ...(vm.qemu !== undefined ? { qemu: vm.qemu } : {}),
      nics: vm.nics.map((n) => ({
        network: n.network,
        ...(n.name !== undefined ? { name: n.name } : {}),
        ...(n.mac !== undefined ? { mac: n.mac } : {}),
        ...(n.link !== undefined ? { link: n.link } : {}),
        ...(n.tap !== undefined ? { tap: n.tap } : {}),
        ip: "none",
      })),
      ...(vm.hostname !== undefined ? { hostname: vm.hostname } : {}),
    };
  }
  const involves = (x: string): boolean => vms.has(x.split(".")[0]);
  const kept: TrafficSpec[] = [];
  const dropped: TrafficSpec[] = [];
  for (const t of spec.traffic ?? []) {
    const { item } = trafficItem(t);
    (involves(item.from) || involves(item.to) ? dropped : kept).push(t);
  }
  return { spec: { ...spec, vms: out, ...(spec.traffic ? { traffic: kept } : {}) }, dropped };
}

/** A traffic item's kind (as the topology file names it) and its body (from, to, ...). */
export function trafficItem(t: TrafficSpec) {
  if ("ping" in t) return { kind: "ping", item: t.ping } as const;
  if ("udpEcho" in t) return { kind: "udp-echo", item: t.udpEcho } as const;
  return { kind: "flow", item: t.flow } as const;
}

/** A free UDP port on `host` (bound and released at once), for QEMU's side of a dgram backend. */
async function freeUdpPort(host: string): Promise<number> {
  const s = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A VM NIC that is a slot for a real VM, as `openSlots` gets it. */
export interface SlotInfo {
  /** The edge (`vm1.eth0`). */
  readonly edge: string;
  readonly vm: string;
  readonly network: string;
  /** The NIC's MAC (`52:54:00:…`). */
  readonly mac: string;
  readonly mtu: number;
}

/** What a caller-made slot is: its attach point (input paused until plugged in is fine) and how QEMU reaches it. */
export interface OpenedSlot {
  readonly attach: AttachPoint;
  readonly backend: QemuBackend;
}

export interface ServeOptions {
  /** Where the attach points listen (unix: a directory); not needed with `openSlots`. */
  readonly listen?: Endpoint;
  /**
   * Makes the slots' attach points instead of listening sockets (`vnet vm`: QEMU started with socket
   * pairs). Called once, with every slot in order, after the network is built; returns one per slot.
   * Each is plugged in and then `resumeInput()` is called, so attach points made paused lose nothing.
   */
  readonly openSlots?: (slots: readonly SlotInfo[], log: AttachLog) => Promise<readonly OpenedSlot[]>;
  /** The session directory. */
  readonly dir: string;
  /** VM names whose NICs are slots (null: all VMs). */
  readonly vms: readonly string[] | null;
  readonly seed?: number;
  /** Attach points' one-line messages (connects, disconnects, garbage); default stderr. */
  readonly log?: AttachLog;
}

export interface ServeResult {
  readonly dir: string;
  /** The session's length in simulated (= real) time, ns. */
  readonly duration: number;
  readonly record: RunRecord;
  readonly report: RunReport;
  readonly nics: readonly ServedNic[];
}

/** A running `vnet serve`: the network, its attach points, the driver. `stop()` ends it and writes the session. */
export class ServeSession {
  #stopped: Promise<ServeResult> | null = null;

  constructor(
    readonly spec: TopologySpec,
    readonly dir: string,
    readonly seed: number,
    readonly network: Network,
    readonly driver: RealtimeDriver,
    readonly edges: Edges,
    readonly nics: readonly ServedNic[],
    readonly dropped: readonly TrafficSpec[],
    private readonly points: readonly { port: NodePort; file: string; cp: CapturePoint }[],
    private readonly unplug: readonly (() => void)[],
  ) {}

  /** Ends the session: no more input, the simulator brought to now, files closed, run.json written. */
  stop(): Promise<ServeResult> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<ServeResult> {
    for (const u of this.unplug) u();
    const sim = this.network.sim;
    this.driver.catchUp();
    this.driver.stop();
    // The session's end: every event up to it has run (replay's last slice runs to the same instant).
    const end = Math.max(sim.now, 1);
    sim.run({ until: end });
    this.edges.close();
    for (const p of this.points) p.cp.close();
    await Promise.all(this.nics.map((n) => n.attach.close()));
    const files: RunFileRecord[] = [];
    const reports: CaptureReport[] = [];
    for (const p of this.points) {
      const path = join(this.dir, p.file);
      files.push({ port: p.port.name, file: p.file, records: p.cp.recordCount, sha256: sha256File(path) });
      reports.push({ port: p.port.name, file: path, records: p.cp.recordCount });
    }
    const record: RunRecord = {
      format: 1,
      vnet: vnetVersion(),
      name: this.spec.name,
      topology: TOPOLOGY_JSON_FILE,
      source: "vnet serve",
      seed: this.seed,
      duration: end,
      durationText: formatDuration(end),
      edges: {
        file: EDGES_FILE,
        frames: this.edges.recorded,
        sha256: sha256File(join(this.dir, EDGES_FILE)),
      },
      captures: files,
    };
    writeFileSync(join(this.dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(
      join(this.dir, ATTACH_FILE),
      `${JSON.stringify(
        {
          nics: this.nics.map((n) => ({
            edge: n.edge,
            network: n.network,
            mac: n.mac,
            address: n.attach.address,
            kind: n.attach.kind,
            qemu: n.qemuArgs.length > 0 ? shellLine(n.qemuArgs) : null,
            counters: n.attach.counters.snapshot(),
            injected: this.edges.stats(n.edge),
          })),
          driver: this.driver.stats,
        },
        null,
        2,
      )}\n`,
    );
    return {
      dir: this.dir,
      duration: end,
      record,
      report: makeReport(this.network, reports),
      nics: this.nics,
    };
  }
}

/** The attach point for slot `i` of `n`, and how QEMU reaches it. */
async function openSlot(
  edge: string,
  i: number,
  n: number,
  listen: Endpoint,
  log: AttachLog,
  mtu: number,
): Promise<{ attach: AttachPoint; backend: QemuBackend }> {
  if (listen.kind === "unix") {
    mkdirSync(listen.path, { recursive: true });
    const path = join(listen.path, `${edge}.sock`);
    const bytes = Buffer.byteLength(path);
    if (bytes > UNIX_PATH_MAX)
      throw new UsageError(
        `unix socket path ${path} is ${bytes} bytes, over Linux's ${UNIX_PATH_MAX}: use --listen unix:SHORTER-DIR`,
      );
    const attach = await StreamServerAttach.listen(edge, { kind: "unix", path }, { log, mtu });
    return { attach, backend: { kind: "stream", to: { kind: "unix", path } } };
  }
  const port = listen.port === 0 ? 0 : listen.port + i;
  if (port > 65535) throw new UsageError(`--listen ${formatEndpoint(listen)}: port ${port} is over 65535`);
  if (listen.kind === "tcp") {
    const attach = await StreamServerAttach.listen(
      edge,
      { kind: "tcp", host: listen.host, port },
      { log, mtu },
    );
    const bound = (attach as StreamServerAttach).port ?? port;
    return { attach, backend: { kind: "stream", to: { kind: "tcp", host: listen.host, port: bound } } };
  }
  const qemuPort = listen.port === 0 ? await freeUdpPort(listen.host) : listen.port + n + i;
  if (qemuPort > 65535)
    throw new UsageError(`--listen ${formatEndpoint(listen)}: port ${qemuPort} is over 65535`);
  const attach = await DgramAttach.open(
    edge,
    { host: listen.host, port },
    { log, mtu, remote: { host: listen.host, port: qemuPort } },
  );
  return {
    attach,
    backend: {
      kind: "dgram",
      remote: { host: listen.host, port: (attach as DgramAttach).port },
      local: { host: listen.host, port: qemuPort },
    },
  };
}

/** A `tap:` NIC's attach point: the TAP opened (created if needed) in its namespace, with the NIC's MAC. */
function openTapSlot(edge: string, tap: TapSpec, mac: Mac, log: AttachLog, mtu: number): TapAttach {
  let ap: TapAttach;
  try {
    ap = TapAttach.open(edge, tap.name, {
      log,
      mtu,
      ...(tap.netns !== undefined ? { netns: tap.netns } : {}),
    });
  } catch (e) {
    if (e instanceof TapError) throw new UsageError(e.message);
    throw e;
  }
  try {
    const b = new Uint8Array(6);
    writeMac(b, 0, mac);
    ap.setMac(b);
  } catch (e) {
    void ap.close();
    if (e instanceof TapError) throw new UsageError(e.message);
    throw e;
  }
  return ap;
}

/**
 * Builds the topology with the slots quiet, records into `dir`, opens the attach points and starts the
 * real-time driver. Throws UsageError for unknown VM names or unusable listen addresses.
 */
export async function startServe(input: TopologyInput, opts: ServeOptions): Promise<ServeSession> {
  const original = input.spec;
  const allVms = Object.keys(original.vms);
  const vms = opts.vms ?? allVms;
  for (const v of vms)
    if (!allVms.includes(v))
      throw new UsageError(
        `--attach: no VM ${JSON.stringify(v)} in ${original.name} (VMs: ${allVms.join(", ") || "none"})`,
      );
  if (vms.length === 0) throw new UsageError(`${original.name} has no VMs to attach (vms: is empty)`);
  const { spec, dropped } = quietVms(original, new Set(vms));
  const seed = opts.seed ?? spec.seed ?? 1;
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, RUN_FILE), { force: true });
  writeFileSync(join(dir, TOPOLOGY_JSON_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  const log = opts.log ?? stderrLog;

  // As runTopology does (so `vnet replay DIR` builds the same network): captures as ports appear, then the edges.
  const sel = spec.captures ?? "all";
  const captured = (p: NodePort): boolean =>
    sel === "all" ? true : sel === "none" ? false : sel.includes(p.name) || sel.includes(p.network);
  const points: { port: NodePort; file: string; cp: CapturePoint }[] = [];
  const onPort = (port: NodePort): void => {
    if (!captured(port)) return;
    const file = captureFileName(port);
    points.push({ port, file, cp: capture(port.nic.nic, { path: join(dir, file) }) });
  };
  let net: Network;
  let edges: Edges;
  try {
    net = buildTopology({ ...spec, seed }, new Simulator({ seed }), { onPort });
    edges = networkEdges(net, { path: join(dir, EDGES_FILE) });
  } catch (e) {
    for (const p of points) p.cp.close();
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  }
  const order = [...net.ports.keys()];
  points.sort((a, b) => order.indexOf(a.port.name) - order.indexOf(b.port.name));

  const slots = [...net.ports.values()].filter((p) => vms.includes(p.node));
  const driver = new RealtimeDriver(net.sim);
  const nics: ServedNic[] = [];
  const unplug: (() => void)[] = [];
  // NICs declared as a Linux TAP (`tap:`) get a TapAttach; the others a socket (or the caller's attach point).
  const taps = new Map<string, TapSpec>();
  for (const [vmName, vm] of Object.entries(spec.vms))
    for (const [i, n] of vm.nics.entries())
      if (n.tap !== undefined) taps.set(`${vmName}.${n.name ?? `eth${i}`}`, n.tap);
  const sockets = slots.filter((p) => !taps.has(p.name));
  let made: Map<string, OpenedSlot> | null = null;
  const opened: AttachPoint[] = [];
  try {
    if (opts.openSlots) {
      const info = sockets.map((p) => ({
        edge: p.name,
        vm: p.node,
        network: p.network,
        mac: formatMac(p.nic.nic.mac),
        mtu: p.nic.nic.mtu,
      }));
      const list = info.length > 0 ? await opts.openSlots(info, log) : [];
      if (list.length !== info.length)
        throw new Error(`openSlots made ${list.length} attach points for ${info.length} slots`);
      made = new Map(info.map((x, i) => [x.edge, list[i]]));
      opened.push(...list.map((m) => m.attach));
    } else if (opts.listen === undefined && sockets.length > 0)
      throw new Error("startServe: give listen or openSlots");
    for (const p of slots) {
      const mac = formatMac(p.nic.nic.mac);
      const tap = taps.get(p.name);
      let slot: OpenedSlot | { attach: AttachPoint; backend: null };
      if (tap !== undefined) {
        const ap = openTapSlot(p.name, tap, p.nic.nic.mac, log, p.nic.nic.mtu);
        opened.push(ap);
        slot = { attach: ap, backend: null };
      } else {
        const m = made?.get(p.name);
        if (m) slot = m;
        else {
          const i = sockets.indexOf(p);
          slot = await openSlot(p.name, i, sockets.length, opts.listen as Endpoint, log, p.nic.nic.mtu);
          opened.push(slot.attach);
        }
      }
      const { attach, backend } = slot;
      const id = qemuNetdevId(p.name);
      nics.push({
        edge: p.name,
        vm: p.node,
        network: p.network,
        mac,
        attach,
        backend,
        qemuArgs: backend === null ? [] : qemuNicArgs(id, backend, mac),
        ...(tap !== undefined ? { tap } : {}),
      });
      // In: what the real VM sends enters at its NIC's edge (recorded), at its arrival instant.
      const edge = p.name;
      const inject = (frame: Uint8Array): void => {
        edges.inject(edge, frame);
      };
      attach.onFrame((frame) => {
        driver.inject(inject, frame);
      });
      // A VM slow to read holds the other VMs' input back instead of losing frames (attach/flow.ts).
      driver.flow.add(attach);
      // Out: what the NIC accepts (its MAC, broadcast, multicast) goes to the real VM.
      const off = p.nic.nic.observe((frame, dir) => {
        if (dir === "in") attach.send(frame);
      });
      unplug.push(() => {
        attach.onFrame(null);
        driver.flow.remove(attach);
        off();
      });
    }
    // Plugged in: caller-made attach points may read now (nothing is congested yet).
    if (made !== null) for (const m of made.values()) m.attach.resumeInput();
  } catch (e) {
    for (const a of new Set(opened)) await a.close();
    edges.close();
    for (const p of points) p.cp.close();
    throw e;
  }
  driver.start();
  return new ServeSession(spec, dir, seed, net, driver, edges, nics, dropped, points, unplug);
}

export interface ServeIo {
  readonly out: Output;
  readonly err: (line: string) => void;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); default: those signals. */
  readonly until?: Promise<string>;
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
export function signals(): { promise: Promise<string>; dispose: () => void } {
  let dispose = (): void => {};
  const promise = new Promise<string>((resolve) => {
    const on = (sig: NodeJS.Signals) => () => resolve(sig);
    const int = on("SIGINT");
    const term = on("SIGTERM");
    process.once("SIGINT", int);
    process.once("SIGTERM", term);
    dispose = () => {
      process.off("SIGINT", int);
      process.off("SIGTERM", term);
    };
  });
  return { promise, dispose };
}

/** `vnet serve`: start, print the QEMU flags, run until a signal (or --duration), stop, print the summary. */
export async function serveCommand(args: ServeArgs, io: ServeIo): Promise<ServeResult> {
  const seed = seedOf(args.seed);
  const limit = durationOf(args.duration);
  const input = topologyInput(args);
  const name = input.spec.name;
  const dir = resolve(args.record ?? `vnet-${name}`);
  let listen: Endpoint;
  try {
    listen = parseEndpoint(args.listen ?? `unix:${dir}`);
  } catch (e) {
    throw new UsageError(`--listen: ${(e as Error).message}`);
  }
  if (listen.kind === "unix") {
    listen = { kind: "unix", path: isAbsolute(listen.path) ? listen.path : resolve(listen.path) };
  }
  const vms = args.attach?.flatMap((a) => a.split(",")).filter((a) => a !== "") ?? null;
  const session = await startServe(input, {
    listen,
    dir,
    vms: vms && vms.length > 0 ? vms : null,
    ...(seed !== undefined ? { seed } : {}),
    log: (l) => io.err(`vnet: ${l}`),
  });
  const out = io.out;
  out.line(
    `vnet serve: ${name}: ${session.nics.length} VM NIC${session.nics.length === 1 ? "" : "s"} to plug in`,
  );
  for (const n of session.nics) {
    out.line("");
    out.line(`${n.edge}  network ${n.network}  MAC ${n.mac}  ${n.attach.address}`);
    if (n.tap !== undefined)
      out.line(
        `  Linux TAP ${n.tap.name}${n.tap.netns ? ` in netns ${n.tap.netns}` : ""} (given MAC ${n.mac}): the kernel's stack there is the peer`,
      );
    else out.line(`  ${shellLine(n.qemuArgs)}`);
  }
  out.line("");
  const real = new Set(session.nics.map((n) => n.vm));
  for (const t of session.dropped) {
    const { kind, item } = trafficItem(t);
    const who = [item.from, item.to].map((x) => x.split(".")[0]).find((x) => real.has(x));
    out.line(
      `(left out: ${kind} ${item.from} -> ${item.to} at ${formatDuration(t.at)}: ${who} is a real VM)`,
    );
  }
  out.line(`session recorded in ${dir} (replay: vnet replay ${dir}); running in real time, Ctrl-C to stop`);
  out.flush?.();

  const sig = io.until ? { promise: io.until, dispose: () => {} } : signals();
  let timer: NodeJS.Timeout | null = null;
  const stopWhy = await Promise.race([
    sig.promise,
    new Promise<string>((r) => {
      if (limit !== undefined) timer = setTimeout(() => r(`--duration ${args.duration}`), limit / 1e6);
    }),
  ]);
  if (timer) clearTimeout(timer);
  sig.dispose();
  const result = await session.stop();
  printServeEnd(result, stopWhy, io);
  return result;
}

/** The end of a session: why and when it stopped, per-NIC counters, the run's report, how to replay. */
export function printServeEnd(result: ServeResult, stopWhy: string, io: ServeIo): void {
  const out = io.out;
  const dir = result.dir;
  out.line("");
  out.line(`stopped (${stopWhy}) after ${formatTime(result.duration)} s`);
  for (const n of result.nics) {
    const c = n.attach.counters;
    out.line(
      `${n.edge}: ${c.rxFrames} frames in, ${c.txFrames} out, ${c.connects} connect${c.connects === 1 ? "" : "s"}` +
        (c.framingErrors > 0 ? `, ${c.framingErrors} closed for bad framing` : ""),
    );
  }
  out.line("");
  printReport(result.report, dir, io, false);
  out.line(`replay: vnet replay ${dir}`);
  out.flush?.();
}
