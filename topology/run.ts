/**
 * Running a topology in virtual time: build it on a fresh simulator (seeded), attach the captures,
 * run to the end of its duration in slices (so a caller can show progress), and report.
 *
 * Captures are one classic pcap per captured port, named ns-3 style `<node>-<iface>.pcap`, stamped with
 * simulated time from 2026-01-01T00:00:00Z (captures/capture-point.ts). With a capture directory every
 * frame is written to the file as it happens (the writer does one `writeSync` per record), so the files
 * are complete up to the last frame even if the run is interrupted; without one they stay in memory.
 *
 * The run directory: with a capture directory the run also writes what is needed to reproduce it
 * (`vnet replay RUN-DIR`): the topology (`topology.yaml`, the file's own text, or `topology.json`, the
 * spec), `edges.pcapng` (every frame injected at an edge, edges.ts: empty of packets for a pure
 * simulation) and `run.json` (vnet version, topology name, seed, duration, the files with their sha256).
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturePoint, capture } from "../captures/index.js";
import { Simulator } from "../sim/index.js";
import type { SimTime } from "../sim/time.js";
import { buildTopology, type Network, type NodePort } from "./build.js";
import { type EdgeFrame, type EdgeStats, type Edges, networkEdges } from "./edges.js";
import { type CaptureReport, makeReport, type RunReport } from "./report.js";
import type { CaptureSpec, TopologySpec } from "./spec.js";
import { formatDuration } from "./units.js";

/** File names in a run directory. */
export const RUN_FILE = "run.json";
export const EDGES_FILE = "edges.pcapng";
export const TOPOLOGY_YAML_FILE = "topology.yaml";
export const TOPOLOGY_JSON_FILE = "topology.json";

/** The topology as the user wrote it, kept in the run directory (`topology.yaml`). */
export interface TopologySource {
  /** The file's text (YAML). */
  readonly text: string;
  /** Where it came from (`examples/nat.yaml`), for run.json; null when unknown. */
  readonly origin: string | null;
}

/** What was replayed into a run (`vnet replay CAPTURE --into …`), kept in run.json for the reader. */
export interface RunInput {
  readonly capture: string;
  readonly into: string;
  readonly speed: number | "max";
  /** Simulated time of the first frame, ns. */
  readonly at: number;
  /** `OLD=NEW` MAC rewrites, as given (normalised). */
  readonly rewriteMac: readonly string[];
  readonly frames: number;
}

/** A capture file of a run, with its digest. */
export interface RunFileRecord {
  readonly port: string;
  readonly file: string;
  readonly records: number;
  readonly sha256: string;
}

/** `run.json`: what `vnet replay RUN-DIR` needs, and what it checks the replay against. */
export interface RunRecord {
  /** Format of this file (1). */
  readonly format: 1;
  /** The vnet version that made the run. */
  readonly vnet: string;
  /** The topology's name. */
  readonly name: string;
  /** The topology file in the run directory (`topology.yaml` or `topology.json`). */
  readonly topology: string;
  /** Where the topology came from (a path, `--topo linear,3`), or null. */
  readonly source: string | null;
  readonly seed: number;
  /** Virtual time run, ns (and as text). */
  readonly duration: number;
  readonly durationText: string;
  /** The edge recording: file, frames, digest. */
  readonly edges: { readonly file: string; readonly frames: number; readonly sha256: string };
  /** What was replayed into the run (absent for a pure simulation). */
  readonly input?: RunInput;
  readonly captures: readonly RunFileRecord[];
}

export interface RunOptions {
  /** Overrides the spec's seed. */
  readonly seed?: number;
  /** Overrides the spec's duration (ns). */
  readonly duration?: SimTime;
  /** Write the captures here (created if missing); without it they are kept in memory. */
  readonly captureDir?: string;
  /** Called after each slice of virtual time with the time reached and the end. */
  readonly onProgress?: (now: SimTime, end: SimTime) => void;
  /** Number of progress slices (default 100). */
  readonly slices?: number;
  /** Frames to inject at edges (`NODE.PORT`), in time order (edges.ts); checked before anything runs. */
  readonly injections?: readonly EdgeFrame[];
  /** The topology's text, stored as `topology.yaml` in the run directory (default: the spec as JSON). */
  readonly source?: TopologySource;
  /** Where a spec stored as JSON came from (`--topo linear,3`), for run.json. */
  readonly origin?: string;
  /** What was replayed into the run, kept in run.json. */
  readonly input?: RunInput;
  /** With a captureDir: write run.json, the topology and edges.pcapng (default true). */
  readonly record?: boolean;
  /** The version written to run.json (default: this package's). */
  readonly version?: string;
}

export interface RunResult {
  readonly report: RunReport;
  readonly network: Network;
  /** Capture bytes by file name (`vm1-eth0.pcap`); in-memory captures only (empty with a captureDir). */
  readonly captures: ReadonlyMap<string, Uint8Array>;
  /** The edges (every node port) and what was injected at each. */
  readonly edges: Edges;
  /** Frames injected, by edge (edges with none left out), in edge order. */
  readonly injected: ReadonlyMap<string, EdgeStats>;
  /** Scheduled injections that fell after the end of the run (not injected). */
  readonly notInjected: number;
  /** The edge recording's bytes (in-memory runs; null with a captureDir: see `edges.pcapng`). */
  readonly edgeRecording: Uint8Array | null;
  /** What run.json holds (written with a captureDir unless `record: false`). */
  readonly record: RunRecord;
}

/** Whether a spec's `captures:` (all, none, or port and network names) selects a port. */
export function isCaptured(sel: CaptureSpec, port: NodePort): boolean {
  if (sel === "all") return true;
  if (sel === "none") return false;
  return sel.includes(port.name) || sel.includes(port.network);
}

/** The ports a spec's `captures:` selects, in the network's port order. */
export function capturedPorts(net: Network): NodePort[] {
  return [...net.ports.values()].filter((p) => isCaptured(net.topology.captures, p));
}

/** `vm1.eth0` → `vm1-eth0.pcap`. */
export function captureFileName(port: NodePort): string {
  return `${port.node}-${port.iface}.pcap`;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** sha256 of a file, read in 1 MiB chunks (captures of long runs can be large). */
export function sha256File(path: string): string {
  const h = createHash("sha256");
  const buf = new Uint8Array(1 << 20);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

let version: string | null = null;

/** This package's version (package.json next to the sources or to dist/), "unknown" if not found. */
export function vnetVersion(): string {
  if (version !== null) return version;
  version = "unknown";
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (pkg.name === "vnet" && typeof pkg.version === "string") {
          version = pkg.version;
          break;
        }
      } catch {
        // not ours: keep looking
      }
    }
    dir = dirname(dir);
  }
  return version;
}

/**
 * Builds and runs a topology; returns the report, the network (for inspection), in-memory captures
 * and the edge recording. With `injections`, the frames enter at their edges at their times (every
 * edge is checked first: EdgeError). With a captureDir the run directory is written (see above).
 */
export function runTopology(spec: TopologySpec, opts: RunOptions = {}): RunResult {
  const seeded: TopologySpec = {
    ...spec,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
  };
  const dir = opts.captureDir;
  if (dir) mkdirSync(dir, { recursive: true });
  const recordDir = dir && opts.record !== false ? dir : null;
  const topologyFile = opts.source ? TOPOLOGY_YAML_FILE : TOPOLOGY_JSON_FILE;
  // The topology first (an interrupted run still leaves it), run.json with the digests at the end. The
  // spec is kept as given: seed and duration overrides are in run.json.
  if (recordDir) {
    rmSync(join(recordDir, RUN_FILE), { force: true }); // a previous run's: not this one's until the end
    writeFileSync(
      join(recordDir, topologyFile),
      opts.source ? opts.source.text : `${JSON.stringify(spec, null, 2)}\n`,
    );
  }
  const sel = seeded.captures ?? "all";
  const points: { port: NodePort; file: string; cp: CapturePoint }[] = [];
  // Captures attach as each port is created, so they hold everything from time 0.
  const onPort = (port: NodePort): void => {
    if (!isCaptured(sel, port)) return;
    const file = captureFileName(port);
    const cp = capture(port.nic.nic, dir ? { path: join(dir, file) } : {});
    points.push({ port, file, cp });
  };
  let net: Network;
  let edges: Edges | null = null;
  try {
    net = buildTopology(seeded, new Simulator({ seed: seeded.seed ?? 1 }), { onPort });
    edges = networkEdges(net, recordDir ? { path: join(recordDir, EDGES_FILE) } : {});
    // Injections are scheduled once everything is built (the same point in a run and its replay).
    if (opts.injections && opts.injections.length > 0) edges.schedule(opts.injections);
  } catch (e) {
    for (const p of points) p.cp.close();
    edges?.close();
    throw e;
  }
  const sim = net.sim;
  const end = net.topology.duration;
  // Report captures in the network's port order (VMs first).
  const order = [...net.ports.keys()];
  points.sort((a, b) => order.indexOf(a.port.name) - order.indexOf(b.port.name));

  const slices = Math.max(1, opts.slices ?? 100);
  let notInjected = 0;
  try {
    for (let i = 1; i <= slices; i++) {
      const until = i === slices ? end : Math.floor((end * i) / slices);
      sim.run({ until });
      opts.onProgress?.(sim.now, end);
    }
  } finally {
    notInjected = edges.pending;
    for (const p of points) p.cp.close();
    edges.close();
  }

  const captures = new Map<string, Uint8Array>();
  const reports: CaptureReport[] = [];
  const files: RunFileRecord[] = [];
  for (const p of points) {
    reports.push({ port: p.port.name, file: dir ? join(dir, p.file) : null, records: p.cp.recordCount });
    let digest: string;
    if (dir) digest = sha256File(join(dir, p.file));
    else {
      const bytes = p.cp.bytes();
      captures.set(p.file, bytes);
      digest = sha256(bytes);
    }
    files.push({ port: p.port.name, file: p.file, records: p.cp.recordCount, sha256: digest });
  }
  const edgeBytes = recordDir ? null : edges.bytes();
  const injected = new Map<string, EdgeStats>();
  for (const name of edges.names) {
    const st = edges.stats(name);
    if (st.injected > 0) injected.set(name, st);
  }
  const record: RunRecord = {
    format: 1,
    vnet: opts.version ?? vnetVersion(),
    name: seeded.name,
    topology: topologyFile,
    source: opts.source ? opts.source.origin : (opts.origin ?? null),
    seed: seeded.seed ?? 1,
    duration: end,
    durationText: formatDuration(end),
    edges: {
      file: EDGES_FILE,
      frames: edges.recorded,
      sha256: edgeBytes ? sha256(edgeBytes) : sha256File(join(recordDir as string, EDGES_FILE)),
    },
    ...(opts.input ? { input: opts.input } : {}),
    captures: files,
  };
  if (recordDir) writeFileSync(join(recordDir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return {
    report: makeReport(net, reports),
    network: net,
    captures,
    edges,
    injected,
    notInjected,
    edgeRecording: edgeBytes,
    record,
  };
}
