/**
 * `vnet run [TOPO] [--topo linear,4] [--seed N] [--duration 30s] [--capture-dir DIR] [--json]`: runs a
 * topology file (or a generated topology, or the built-in NAT demo) in virtual time, writes one pcap per
 * captured port and prints the summary (or, with --json, the report as one JSON object).
 *
 * A bad topology is one line, `FILE:LINE:COL: path: message`, and exit code 2 (a usage error: the
 * input the user wrote is wrong, as a bad option is). A progress bar (cli-progress) is drawn on stderr
 * only when stderr is a terminal.
 *
 * Next to the captures the run leaves what `vnet replay DIR` needs to reproduce it (topology/run.ts):
 * the topology (the file's text as topology.yaml, a generated one as topology.json), run.json and
 * edges.pcapng.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { SingleBar } from "cli-progress";
import { DEFAULT_TOPOLOGY_FILE, DEFAULT_TOPOLOGY_YAML } from "../topology/default-topology.js";
import {
  formatReport,
  generateTopology,
  parseDuration,
  parseTopologyYaml,
  type RunReport,
  runTopology,
  TopologyError,
  type TopologySource,
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

export function seedOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff)
    throw new UsageError(`invalid seed ${raw} (a whole number 0..4294967295)`);
  return n;
}

export function durationOf(raw: string | undefined): number | undefined {
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

/** A topology to run and what the run directory keeps of it: the file's text, or where a generated spec came from. */
export interface TopologyInput {
  readonly spec: TopologySpec;
  /** The YAML text (a file or the built-in demo), kept as topology.yaml. */
  readonly source?: TopologySource;
  /** A generated topology (`--topo linear,3`): kept as topology.json. */
  readonly origin?: string;
}

/** The topology to run: the file, the generator, or the built-in default. Topology errors become one-line usage errors. */
export function topologyInput(args: Pick<RunArgs, "file" | "topo">): TopologyInput {
  try {
    if (args.file !== undefined && args.topo !== undefined)
      throw new UsageError("give a topology file or --topo, not both");
    if (args.topo !== undefined) return { spec: generateTopology(args.topo), origin: `--topo ${args.topo}` };
    if (args.file !== undefined) {
      const file = args.file;
      checkInputFile(file);
      const text = withPath(file, () => readFileSync(file, "utf8"));
      return { spec: parseTopologyYaml(text, file), source: { text, origin: file } };
    }
    return {
      spec: parseTopologyYaml(DEFAULT_TOPOLOGY_YAML, DEFAULT_TOPOLOGY_FILE),
      source: { text: DEFAULT_TOPOLOGY_YAML, origin: DEFAULT_TOPOLOGY_FILE },
    };
  } catch (e) {
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  }
}

/** The spec to run: the file, the generator, or the built-in default. Topology errors become one-line usage errors. */
export function topologyOf(args: Pick<RunArgs, "file" | "topo">): TopologySpec {
  return topologyInput(args).spec;
}

/** A progress bar on stderr (only when `io.progress`): `onProgress` for runTopology, `stop` when done. */
export function progressBar(
  name: string,
  io: Pick<RunIo, "progress">,
): { onProgress: (now: number, end: number) => void; stop: () => void } {
  if (!io.progress) return { onProgress: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${name} [{bar}] {percentage}% | {value}/{total} s of virtual time`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  let started = false;
  return {
    onProgress: (now, end) => {
      if (!started) {
        bar.start(Math.round(end / 1e9), 0);
        started = true;
      }
      bar.update(Math.floor(now / 1e9));
    },
    stop: () => bar.stop(),
  };
}

/** Prints a run's report (or its JSON, with `extra` fields) and where the captures went. */
export function printReport(
  report: RunReport,
  captureDir: string,
  io: Pick<RunIo, "out">,
  json: boolean,
  extra: Record<string, unknown> = {},
): void {
  if (json) {
    io.out.line(JSON.stringify({ ...report, ...extra }, null, 2));
    return;
  }
  for (const l of formatReport(report, { captureDir }).trimEnd().split("\n")) io.out.line(l);
  const files = report.captures.filter((c) => c.file !== null).length;
  if (files > 0)
    io.out.line(
      `\n${files} pcap files in ${captureDir}/ (vnet inspect ${captureDir}/${basename(report.captures[0].file ?? "")})`,
    );
}

export function runCommand(args: RunArgs, io: RunIo): void {
  const seed = seedOf(args.seed);
  const duration = durationOf(args.duration);
  const input = topologyInput(args);
  const spec = input.spec;
  const captureDir = args.captureDir ?? `vnet-${spec.name}`;
  const bar = progressBar(spec.name, io);
  let result: ReturnType<typeof runTopology>;
  try {
    result = runTopology(spec, {
      ...(seed !== undefined ? { seed } : {}),
      ...(duration !== undefined ? { duration } : {}),
      captureDir,
      ...(input.source ? { source: input.source } : {}),
      ...(input.origin !== undefined ? { origin: input.origin } : {}),
      onProgress: bar.onProgress,
    });
  } catch (e) {
    if (e instanceof TopologyError) throw new UsageError(e.message);
    throw e;
  } finally {
    bar.stop();
  }
  printReport(result.report, captureDir, io, args.json);
  io.out.flush?.();
}
