/**
 * Running a topology in virtual time: build it on a fresh simulator (seeded), attach the captures,
 * run to the end of its duration in slices (so a caller can show progress), and report.
 *
 * Captures are one classic pcap per captured port, named ns-3 style `<node>-<iface>.pcap`, stamped with
 * simulated time from 2026-01-01T00:00:00Z (captures/capture-point.ts). With a capture directory every
 * frame is written to the file as it happens (the writer does one `writeSync` per record), so the files
 * are complete up to the last frame even if the run is interrupted; without one they stay in memory.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type CapturePoint, capture } from "../captures/index.js";
import { Simulator } from "../sim/index.js";
import type { SimTime } from "../sim/time.js";
import { buildTopology, type Network, type NodePort } from "./build.js";
import { type CaptureReport, makeReport, type RunReport } from "./report.js";
import type { CaptureSpec, TopologySpec } from "./spec.js";

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
}

export interface RunResult {
  readonly report: RunReport;
  readonly network: Network;
  /** Capture bytes by file name (`vm1-eth0.pcap`); in-memory captures only (empty with a captureDir). */
  readonly captures: ReadonlyMap<string, Uint8Array>;
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

/** Builds and runs a topology; returns the report, the network (for inspection) and in-memory captures. */
export function runTopology(spec: TopologySpec, opts: RunOptions = {}): RunResult {
  const seeded: TopologySpec = {
    ...spec,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
  };
  if (opts.captureDir) mkdirSync(opts.captureDir, { recursive: true });
  const sel = seeded.captures ?? "all";
  const points: { port: NodePort; file: string; cp: CapturePoint }[] = [];
  // Captures attach as each port is created, so they hold everything from time 0.
  const onPort = (port: NodePort): void => {
    if (!isCaptured(sel, port)) return;
    const file = captureFileName(port);
    const cp = capture(port.nic.nic, opts.captureDir ? { path: join(opts.captureDir, file) } : {});
    points.push({ port, file, cp });
  };
  let net: Network;
  try {
    net = buildTopology(seeded, new Simulator({ seed: seeded.seed ?? 1 }), { onPort });
  } catch (e) {
    for (const p of points) p.cp.close();
    throw e;
  }
  const sim = net.sim;
  const end = net.topology.duration;
  // Report captures in the network's port order (VMs first).
  const order = [...net.ports.keys()];
  points.sort((a, b) => order.indexOf(a.port.name) - order.indexOf(b.port.name));

  const slices = Math.max(1, opts.slices ?? 100);
  try {
    for (let i = 1; i <= slices; i++) {
      const until = i === slices ? end : Math.floor((end * i) / slices);
      sim.run({ until });
      opts.onProgress?.(sim.now, end);
    }
  } finally {
    for (const p of points) p.cp.close();
  }

  const captures = new Map<string, Uint8Array>();
  const reports: CaptureReport[] = [];
  for (const p of points) {
    reports.push({
      port: p.port.name,
      file: opts.captureDir ? join(opts.captureDir, p.file) : null,
      records: p.cp.recordCount,
    });
    if (!opts.captureDir) captures.set(p.file, p.cp.bytes());
  }
  return { report: makeReport(net, reports), network: net, captures };
}
