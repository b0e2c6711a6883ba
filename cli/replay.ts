/**
 * `vnet replay`, two forms:
 *
 * - `vnet replay RUN-DIR [--capture-dir OUT] [--json]`: re-runs a recorded run (a directory `vnet run`
 *   or `vnet replay` wrote: run.json, the topology, edges.pcapng) and writes its captures again into OUT
 *   (default `RUN-DIR-replay`); then says whether every capture is byte-identical to the recording
 *   (exit 1 and one line on stderr when one is not).
 * - `vnet replay CAPTURE [--topology TOPO | --topo GEN] --into NODE.PORT [--speed 1|N|max] [--at T]
 *   [--rewrite-mac OLD=NEW]... [--seed N] [--duration D] [--capture-dir DIR] [--json]`: tcpreplay-like,
 *   the capture's Ethernet frames enter the topology at that port at their recorded relative times
 *   (topology/replay.ts); the run then proceeds like `vnet run` (summary, one pcap per port, and a run
 *   directory that `vnet replay DIR` reproduces). Without --topology: the built-in NAT demo, as `vnet run`.
 *
 * Refusals are one line: a capture that cannot be read (missing, garbled, truncated) exits 1, as for
 * `vnet inspect`; an unknown edge, a bad --rewrite-mac or --speed, a directory without run.json, a bad
 * topology exit 2.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import {
  EdgeError,
  formatDuration,
  isDirectory,
  parseDuration,
  parseSpeed,
  ReplayError,
  replayCapture,
  replayRun,
  TopologyError,
  UnitError,
} from "../topology/index.js";
import { UsageError } from "./errors.js";
import { durationOf, printReport, progressBar, type RunIo, seedOf, topologyInput } from "./run.js";

export interface ReplayArgs {
  /** A run directory or a capture file. */
  readonly source: string;
  /** With a capture: the topology file (default: the built-in demo). */
  readonly topology?: string;
  /** With a capture: a generated topology (`linear,3`). */
  readonly topo?: string;
  /** With a capture: the edge, `NODE.PORT` or `NODE:PORT`. */
  readonly into?: string;
  readonly speed?: string;
  /** Simulated time of the first frame (`2s`). */
  readonly at?: string;
  readonly rewriteMac?: readonly string[];
  readonly seed?: string;
  readonly duration?: string;
  readonly captureDir?: string;
  readonly json: boolean;
}

/**
 * What a replay refuses is one line. As for `vnet inspect`: a capture that cannot be read (missing,
 * garbled, truncated) is bad input, exit 1 (CaptureError and errno errors pass through to
 * describeError); a wrong argument (edge, flags, run directory, topology) is a usage error, exit 2.
 * Bugs pass through.
 */
function asUsage(e: unknown): unknown {
  if (e instanceof ReplayError || e instanceof EdgeError || e instanceof TopologyError)
    return new UsageError(e.message);
  return e;
}

function atOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseDuration(raw);
  } catch (e) {
    if (e instanceof UnitError) throw new UsageError(`--at: ${e.message}`);
    throw e;
  }
}

/** Runs the command; returns the exit code (1 when a run directory's replay differs from it). */
export function replayCommand(args: ReplayArgs, io: RunIo): number {
  try {
    statSync(args.source); // a missing source is named first
    return isDirectory(args.source) ? replayDir(args, io) : replayFile(args, io);
  } catch (e) {
    throw asUsage(e);
  }
}

function replayDir(args: ReplayArgs, io: RunIo): number {
  const dir = args.source.replace(/(.)\/+$/, "$1");
  const capOnly: [keyof ReplayArgs, string][] = [
    ["topology", "--topology"],
    ["topo", "--topo"],
    ["into", "--into"],
    ["speed", "--speed"],
    ["at", "--at"],
    ["seed", "--seed"],
    ["duration", "--duration"],
  ];
  for (const [k, flag] of capOnly)
    if (args[k] !== undefined)
      throw new UsageError(
        `${flag} is for replaying a capture; ${dir} is a run directory, replayed as it was recorded`,
      );
  if (args.rewriteMac && args.rewriteMac.length > 0)
    throw new UsageError(
      `--rewrite-mac is for replaying a capture; ${dir} is a run directory, replayed as it was recorded`,
    );
  const captureDir = args.captureDir ?? `${dir}-replay`;
  if (resolve(captureDir) === resolve(dir))
    throw new UsageError(`--capture-dir ${captureDir} is the run directory itself: give another one`);
  const bar = progressBar(dir, io);
  let r: ReturnType<typeof replayRun>;
  try {
    r = replayRun(dir, { captureDir, onProgress: bar.onProgress });
  } finally {
    bar.stop();
  }
  const v = r.verification;
  const rec = r.loaded.record;
  const frames = r.loaded.recording.frames.length;
  if (!args.json)
    io.out.line(
      `replay of ${dir}: ${rec.name}, seed ${rec.seed}, ${formatDuration(rec.duration)}, ${frames} frame${frames === 1 ? "" : "s"} from ${rec.edges.file}\n`,
    );
  printReport(r.report, captureDir, io, args.json, {
    replay: {
      of: dir,
      frames,
      identical: v.identical,
      differ: v.differ,
      missing: v.missing,
      edgesIdentical: v.edges,
      ok: v.ok,
      recordedBy: rec.vnet,
    },
  });
  const total = rec.captures.length;
  if (!args.json) {
    io.out.line(
      v.ok
        ? `reproduced: ${v.identical.length} of ${total} captures byte-identical to ${dir} (and ${rec.edges.file})`
        : `NOT reproduced: ${v.identical.length} of ${total} captures byte-identical to ${dir}`,
    );
  }
  io.out.flush?.();
  if (v.ok) return 0;
  const what = [
    ...v.differ.map((f) => `${f} differs`),
    ...v.missing.map((f) => `${f} missing`),
    ...(v.edges ? [] : [`${rec.edges.file} differs`]),
  ];
  const version = v.otherVersion ? ` (recorded by vnet ${v.otherVersion})` : "";
  io.err(`vnet: the replay differs from ${dir}${version}: ${what.join(", ")}`);
  return 1;
}

function replayFile(args: ReplayArgs, io: RunIo): number {
  if (args.into === undefined)
    throw new UsageError(
      `${args.source}: replaying a capture needs --into NODE.PORT (the port its frames enter at), or give a run directory`,
    );
  const seed = seedOf(args.seed);
  const duration = durationOf(args.duration);
  const at = atOf(args.at);
  const speed = args.speed === undefined ? 1 : parseSpeed(args.speed);
  const input = topologyInput({ file: args.topology, topo: args.topo });
  const spec = input.spec;
  const captureDir = args.captureDir ?? `vnet-${spec.name}-replay`;
  const bar = progressBar(spec.name, io);
  let r: ReturnType<typeof replayCapture>;
  try {
    r = replayCapture(args.source, spec, {
      into: args.into,
      speed,
      ...(at !== undefined ? { at } : {}),
      rewriteMac: args.rewriteMac ?? [],
      ...(seed !== undefined ? { seed } : {}),
      ...(duration !== undefined ? { duration } : {}),
      captureDir,
      ...(input.source ? { source: input.source } : {}),
      ...(input.origin !== undefined ? { origin: input.origin } : {}),
      onProgress: bar.onProgress,
    });
  } finally {
    bar.stop();
  }
  const st = r.injected.get(r.into);
  const injected = st?.injected ?? 0;
  const dropped = st?.dropped ?? 0;
  if (!args.json) {
    const span =
      r.first === null
        ? ""
        : r.first === r.last
          ? ` at ${formatDuration(r.first)}`
          : ` from ${formatDuration(r.first)} to ${formatDuration(r.last ?? r.first)}`;
    const late = r.notInjected > 0 ? `; ${r.notInjected} after the end of the run, not injected` : "";
    io.out.line(
      `replay of ${args.source} into ${r.into}: ${injected} of ${r.frames} frames injected${span} (speed ${speed})${dropped > 0 ? `, ${dropped} dropped by the port` : ""}${late}\n`,
    );
  }
  printReport(r.report, captureDir, io, args.json, {
    replay: {
      capture: args.source,
      into: r.into,
      speed,
      frames: r.frames,
      injected,
      dropped,
      notInjected: r.notInjected,
    },
  });
  io.out.flush?.();
  return 0;
}
