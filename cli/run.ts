/**
 * `vnet run [TOPO] [--topo linear,4] [--seed N] [--duration 30s] [--capture-dir DIR] [--json]`: runs a
 * topology file (or a generated topology, or the built-in NAT demo) in virtual time, writes one pcap per
 * captured port and prints the summary (or, with --json, the report as one JSON object).
 *
 * A bad topology is one line, `FILE:LINE:COL: path: message`, and exit code 2 (a usage error: the
 * input the user wrote is wrong, as a bad option is). A progress bar (cli-progress) is drawn on stderr
 * only when stderr is a terminal.
 */
import { basename } from "node:path";
import { SingleBar } from "cli-progress";
import { DEFAULT_TOPOLOGY_FILE, DEFAULT_TOPOLOGY_YAML } from "../topology/default-topology.js";
import {
  formatReport,
  generateTopology,
  loadTopologyFile,
  parseDuration,
  parseTopologyYaml,
  runTopology,
  TopologyError,
  type TopologySpec,
  UnitError,
} from "../topology/index.js";
import { UsageError } from "./errors.js";
import { checkInputFile, withPath } from "./files.js";
import type { Output } from "./output.js";

export interface RunArgs {
  /** A topology file; undefined with `topo` or for the built-in default. */
  readonly file?: string;
  /** A generator, `linear,4`. */
  readonly topo?: string;
  readonly seed?: string;
  readonly duration?: string;
  /** Where the pcaps go (default `vnet-<name>` in the current directory). */
  readonly captureDir?: string;
  readonly json: boolean;
}

export interface RunIo {
  readonly out: Output;
  readonly err: (line: string) => void;
  /** Draw a progress bar (stderr is a terminal). */
  readonly progress: boolean;
}

function seedOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff)
    throw new UsageError(`invalid seed ${raw} (a whole number 0..4294967295)`);
  return n;
}

function durationOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    const t = parseDuration(raw);
    if (t <= 0) throw new UnitError("the duration must be above 0");
    return t;
  } catch (e) {
    if (e instanceof UnitError) throw new UsageError(`--duration: ${e.message}`);
    throw e;
  }
}

/** The spec to run: the file, the generator, or the built-in default. Topology errors become one-line usage errors. */
export function topologyOf(args: Pick<RunArgs, "file" | "topo">): TopologySpec {
  try {
    if (args.file !== undefined && args.topo !== undefined)
      throw new UsageError("give a topology file or --topo, not both");
    if (args.topo !== undefined) return generateTopology(args.topo);
    if (args.file !== undefined) {
      const file = args.file;
      checkInputFile(file);
      return withPath(file, () => loadTopologyFile(file));
    }
    return parseTopologyYaml(DEFAULT_TOPOLOGY_YAML, DEFAULT_TOPOLOGY_FILE);
  } catch (e) {
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  }
}

export function runCommand(args: RunArgs, io: RunIo): void {
  const seed = seedOf(args.seed);
  const duration = durationOf(args.duration);
  const spec = topologyOf(args);
  const captureDir = args.captureDir ?? `vnet-${spec.name}`;
  let bar: SingleBar | null = null;
  if (io.progress) {
    bar = new SingleBar({
      format: `${spec.name} [{bar}] {percentage}% | {value}/{total} s of virtual time`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    });
  }
  let started = false;
  let result: ReturnType<typeof runTopology>;
  try {
    result = runTopology(spec, {
      ...(seed !== undefined ? { seed } : {}),
      ...(duration !== undefined ? { duration } : {}),
      captureDir,
      onProgress: (now, end) => {
        if (!bar) return;
        if (!started) {
          bar.start(Math.round(end / 1e9), 0);
          started = true;
        }
        bar.update(Math.floor(now / 1e9));
      },
    });
  } catch (e) {
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  } finally {
    bar?.stop();
  }
  const report = result.report;
  if (args.json) {
    io.out.line(JSON.stringify(report, null, 2));
  } else {
    for (const l of formatReport(report, { captureDir }).trimEnd().split("\n")) io.out.line(l);
    const files = report.captures.filter((c) => c.file !== null).length;
    if (files > 0)
      io.out.line(
        `\n${files} pcap files in ${captureDir}/ (vnet inspect ${captureDir}/${basename(report.captures[0].file ?? "")})`,
      );
  }
  io.out.flush?.();
}
