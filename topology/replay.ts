/**
 * Replay, two ways (both end in `runTopology`, so the run then proceeds like `vnet run`):
 *
 * - A capture into an edge, tcpreplay-like (`vnet replay CAPTURE --topology T --into vm1.eth0`): the
 *   capture's Ethernet frames enter at that edge (edges.ts) at their recorded relative times, the first
 *   at the run's start (or `at`). `speed: N` divides the gaps (tcpreplay `--multiplier`); `"max"` puts
 *   every frame at the start instant, in file order (tcpreplay `--topspeed`: in virtual time the link's
 *   rate, if any, is what serialises them). Times never go backwards: a frame stamped before the
 *   previous one goes at the previous one's time (tcpreplay sends in file order). MAC rewrites map
 *   Ethernet source and destination addresses OLD → NEW (tcprewrite `--enet-smac`/`--enet-dmac`, as
 *   one map for both) into new buffers. Frames longer than the port allows are not refused here: the
 *   device drops and counts them, as a NIC would.
 * - A run directory (`vnet replay RUN-DIR`): the topology, seed and duration from run.json, the frames
 *   from edges.pcapng at their recorded times; every capture is then compared with run.json's sha256.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { openCapture, readCaptureBytes } from "../captures/reader.js";
import { type CaptureRecord, LinkType } from "../captures/record.js";
import { Simulator } from "../sim/index.js";
import { MAX_TIME, type SimTime } from "../sim/time.js";
import { formatMac, type Mac, parseMac, readMac, writeMac } from "../wire/addr.js";
import { buildTopology } from "./build.js";
import { type EdgeFrame, type EdgeRecording, fracToNs, loadEdgeRecording, resolveEdgeName } from "./edges.js";
import {
  RUN_FILE,
  type RunOptions,
  type RunRecord,
  type RunResult,
  runTopology,
  TOPOLOGY_JSON_FILE,
  TOPOLOGY_YAML_FILE,
  type TopologySource,
} from "./run.js";
import type { TopologySpec } from "./spec.js";
import { checkTopology, parseTopologyYaml } from "./yaml.js";

/** A replay that cannot start: a bad option, a capture that is not Ethernet, a run directory without run.json. */
export class ReplayError extends Error {
  override readonly name = "ReplayError";
}

/** `1`, `2.5` (gaps divided by it) or `"max"` (all at once). */
export type ReplaySpeed = number | "max";

/** `--speed` text: a number above 0 or `max`. */
export function parseSpeed(text: string): ReplaySpeed {
  const t = text.trim().toLowerCase();
  if (t === "max" || t === "topspeed") return "max";
  const n = /^[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!(n > 0) || !Number.isFinite(n))
    throw new ReplayError(`--speed: expected a number above 0 or max, got ${JSON.stringify(text)}`);
  return n;
}

/** `OLD=NEW` pairs of MACs → a map. Throws ReplayError naming the bad pair. */
export function parseMacRewrites(pairs: readonly string[]): Map<Mac, Mac> {
  const map = new Map<Mac, Mac>();
  for (const p of pairs) {
    const parts = p.split("=");
    let from: Mac;
    let to: Mac;
    try {
      if (parts.length !== 2) throw new Error("no =");
      from = parseMac(parts[0]);
      to = parseMac(parts[1]);
    } catch {
      throw new ReplayError(
        `--rewrite-mac: expected OLD=NEW, two MAC addresses (52:54:00:12:34:56=52:54:00:65:43:21), got ${JSON.stringify(p)}`,
      );
    }
    const had = map.get(from);
    if (had !== undefined && had !== to)
      throw new ReplayError(
        `--rewrite-mac: ${formatMac(from)} is rewritten twice (to ${formatMac(had)} and ${formatMac(to)})`,
      );
    map.set(from, to);
  }
  return map;
}

/** The frame with its Ethernet destination and source mapped through `map`: a new buffer when one changes. */
export function rewriteMacs(frame: Uint8Array, map: ReadonlyMap<Mac, Mac>): Uint8Array {
  if (map.size === 0 || frame.byteLength < 12) return frame;
  const dst = map.get(readMac(frame, 0));
  const src = map.get(readMac(frame, 6));
  if (dst === undefined && src === undefined) return frame;
  const out = frame.slice();
  if (dst !== undefined) writeMac(out, 0, dst);
  if (src !== undefined) writeMac(out, 6, src);
  return out;
}

export interface CaptureInjectOptions {
  /** The edge (already resolved, `vm1.eth0`). */
  readonly edge: string;
  /** Simulated time of the first frame (default 0, the run's start). */
  readonly start?: SimTime;
  /** Default 1 (the recorded gaps). */
  readonly speed?: ReplaySpeed;
  readonly rewriteMac?: ReadonlyMap<Mac, Mac>;
}

/** tcpdump's names of the link types a capture may have (for the error). */
const LINK_NAMES: Record<number, string> = {
  0: "NULL",
  101: "RAW",
  108: "LOOP",
  113: "LINUX_SLL",
  228: "IPV4",
  229: "IPV6",
};

/**
 * A capture's records → frames to inject at `edge`: copies (records are views into the reader's
 * chunk), MAC rewrites applied, times as described at the top. Throws ReplayError for a record that
 * is not Ethernet (the reader's CaptureError for a malformed file passes through).
 */
export function captureInjections(
  records: Iterable<CaptureRecord>,
  name: string,
  opts: CaptureInjectOptions,
): EdgeFrame[] {
  const start = opts.start ?? 0;
  const speed = opts.speed ?? 1;
  const map = opts.rewriteMac ?? new Map<Mac, Mac>();
  const out: EdgeFrame[] = [];
  let sec0 = 0;
  let ns0 = 0;
  let prev = start;
  for (const r of records) {
    if (r.linkType !== LinkType.ETHERNET) {
      const lt = LINK_NAMES[r.linkType] ?? String(r.linkType);
      throw new ReplayError(
        `${name}: packet ${out.length + 1} has link type ${lt} (${r.linkType}), not Ethernet: only Ethernet frames can be replayed into a port`,
      );
    }
    const ns = fracToNs(r.tsFrac, r.fracDigits);
    if (out.length === 0) {
      sec0 = r.tsSec;
      ns0 = ns;
    }
    let at = start;
    if (speed !== "max") {
      // Seconds and fractions apart, so capture epochs (1.7e18 ns) never lose precision.
      const delta = (r.tsSec - sec0) * 1e9 + (ns - ns0);
      at = start + Math.round(delta / speed);
      if (!Number.isFinite(at) || at > MAX_TIME) at = MAX_TIME;
    }
    if (at < prev) at = prev;
    prev = at;
    out.push({ edge: opts.edge, at, frame: rewriteMacs(r.data.slice(), map) });
  }
  return out;
}

/** The edge names (node ports) a spec builds, in the network's port order. */
export function edgeNamesOf(spec: TopologySpec): string[] {
  // A throwaway build (nothing runs): the ports exist only once presets and the builder have made them.
  const net = buildTopology(spec, new Simulator({ seed: spec.seed ?? 1 }));
  return [...net.ports.keys()];
}

export interface ReplayCaptureOptions extends Omit<RunOptions, "injections" | "input" | "source" | "origin"> {
  /** `NODE.PORT` or `NODE:PORT`. */
  readonly into: string;
  readonly speed?: ReplaySpeed;
  /** Simulated time of the first frame (default 0). */
  readonly at?: SimTime;
  /** `OLD=NEW` MAC pairs. */
  readonly rewriteMac?: readonly string[];
  /** The topology's text, kept in the run directory (else the spec as JSON). */
  readonly source?: TopologySource;
  readonly origin?: string;
}

export interface ReplayCaptureResult extends RunResult {
  /** The edge the frames went into. */
  readonly into: string;
  /** Frames read from the capture (scheduled). */
  readonly frames: number;
  /** Simulated times of the first and last scheduled frame (null: an empty capture). */
  readonly first: SimTime | null;
  readonly last: SimTime | null;
}

/** A capture given by path (read streaming) or as bytes with a name. */
export type CaptureInput = string | { readonly bytes: Uint8Array; readonly name: string };

/**
 * `vnet replay CAPTURE --topology T --into EDGE`: checks the options and the edge, reads the capture
 * (pcap or pcapng), runs the topology with the frames injected. Errors before anything runs:
 * ReplayError (options, link type), EdgeError (unknown edge), CaptureError (malformed file), errno.
 */
export function replayCapture(
  input: CaptureInput,
  spec: TopologySpec,
  opts: ReplayCaptureOptions,
): ReplayCaptureResult {
  const map = parseMacRewrites(opts.rewriteMac ?? []);
  const speed = opts.speed ?? 1;
  if (speed !== "max" && !(speed > 0)) throw new ReplayError(`speed must be above 0, got ${speed}`);
  const start = opts.at ?? 0;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new ReplayError(`the first frame's time must be a whole number of ns >= 0, got ${start}`);
  const seeded = opts.seed !== undefined ? { ...spec, seed: opts.seed } : spec;
  const edge = resolveEdgeName(opts.into, edgeNamesOf(seeded));
  const name = typeof input === "string" ? input : input.name;
  const reader = typeof input === "string" ? openCapture(input) : readCaptureBytes(input.bytes, input.name);
  let frames: EdgeFrame[];
  try {
    frames = captureInjections(reader, name, { edge, start, speed, rewriteMac: map });
  } finally {
    reader.close();
  }
  const { into: _into, speed: _speed, at: _at, rewriteMac: _rw, ...runOpts } = opts;
  const result = runTopology(spec, {
    ...runOpts,
    injections: frames,
    input: {
      capture: name,
      into: edge,
      speed,
      at: start,
      rewriteMac: [...map].map(([a, b]) => `${formatMac(a)}=${formatMac(b)}`),
      frames: frames.length,
    },
  });
  return {
    ...result,
    into: edge,
    frames: frames.length,
    first: frames.length > 0 ? frames[0].at : null,
    last: frames.length > 0 ? frames[frames.length - 1].at : null,
  };
}

// ---------------------------------------------------------------------------------------------------
// Run directories

const sha = z.string().regex(/^[0-9a-f]{64}$/);
const runRecordSchema = z.object({
  format: z.literal(1),
  vnet: z.string(),
  name: z.string().min(1),
  topology: z.enum([TOPOLOGY_YAML_FILE, TOPOLOGY_JSON_FILE]),
  source: z.string().nullable(),
  seed: z.number().int().min(0).max(0xffffffff),
  duration: z.number().int().positive(),
  durationText: z.string(),
  edges: z.object({ file: z.string().min(1), frames: z.number().int().min(0), sha256: sha }),
  input: z
    .object({
      capture: z.string(),
      into: z.string(),
      speed: z.union([z.number().positive(), z.literal("max")]),
      at: z.number().int().min(0),
      rewriteMac: z.array(z.string()),
      frames: z.number().int().min(0),
    })
    .optional(),
  captures: z.array(
    z.object({ port: z.string(), file: z.string().min(1), records: z.number().int().min(0), sha256: sha }),
  ),
});

/** A run directory read back. */
export interface LoadedRun {
  readonly dir: string;
  readonly record: RunRecord;
  readonly spec: TopologySpec;
  /** The topology's text when the run kept it as YAML. */
  readonly source: TopologySource | null;
  readonly recording: EdgeRecording;
}

/** Whether `path` is a directory (false when it is missing or a file). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads a run directory: run.json (checked), the topology it names (TopologyError if it no longer
 * parses), the edge recording. ReplayError for a directory without run.json or with a bad one.
 */
export function loadRunDir(dir: string): LoadedRun {
  const runFile = join(dir, RUN_FILE);
  let text: string;
  try {
    text = readFileSync(runFile, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new ReplayError(
        `${dir}: not a vnet run directory (no ${RUN_FILE}; vnet run --capture-dir writes one)`,
      );
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ReplayError(`${runFile}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = runRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ReplayError(`${runFile}: ${i.path.join(".") || "(top)"}: ${i.message}`);
  }
  const record = parsed.data as RunRecord;
  const topoPath = join(dir, record.topology);
  const topoText = readFileSync(topoPath, "utf8");
  let spec: TopologySpec;
  let source: TopologySource | null = null;
  if (record.topology === TOPOLOGY_YAML_FILE) {
    // A file without `name:` was named after its file: the name is run.json's.
    spec = { ...parseTopologyYaml(topoText, topoPath), name: record.name };
    source = { text: topoText, origin: record.source };
  } else {
    let json: unknown;
    try {
      json = JSON.parse(topoText);
    } catch (e) {
      throw new ReplayError(`${topoPath}: not valid JSON (${(e as Error).message})`);
    }
    spec = checkTopology(json as TopologySpec);
  }
  const recording = loadEdgeRecording(join(dir, record.edges.file));
  return { dir, record, spec, source, recording };
}

/** How a replay's files compare with the recorded run's (by sha256). */
export interface Verification {
  /** Capture files byte-identical to the recording. */
  readonly identical: readonly string[];
  /** Files whose bytes differ. */
  readonly differ: readonly string[];
  /** Files the recording lists that the replay did not write, or the other way round. */
  readonly missing: readonly string[];
  /** The edge recordings are identical. */
  readonly edges: boolean;
  /** Everything identical. */
  readonly ok: boolean;
  /** The recording was made by another vnet version (differences may be expected). */
  readonly otherVersion: string | null;
}

/** Compares a replay's run record with the recorded one. */
export function verifyReplay(recorded: RunRecord, replayed: RunRecord): Verification {
  const identical: string[] = [];
  const differ: string[] = [];
  const missing: string[] = [];
  const now = new Map(replayed.captures.map((c) => [c.file, c]));
  for (const c of recorded.captures) {
    const r = now.get(c.file);
    if (!r) missing.push(c.file);
    else if (r.sha256 === c.sha256) identical.push(c.file);
    else differ.push(c.file);
    now.delete(c.file);
  }
  missing.push(...now.keys());
  const edges = recorded.edges.sha256 === replayed.edges.sha256;
  return {
    identical,
    differ,
    missing,
    edges,
    ok: differ.length === 0 && missing.length === 0 && edges,
    otherVersion: recorded.vnet === replayed.vnet ? null : recorded.vnet,
  };
}

export interface ReplayRunOptions
  extends Pick<RunOptions, "captureDir" | "onProgress" | "slices" | "version"> {}

export interface ReplayRunResult extends RunResult {
  readonly loaded: LoadedRun;
  readonly verification: Verification;
}

/**
 * `vnet replay RUN-DIR`: re-runs a recorded run (its topology, seed, duration and edge recording) and
 * compares the new captures with the recorded ones. With a captureDir the replay writes a run
 * directory of its own (so a replay can be replayed).
 */
export function replayRun(dir: string, opts: ReplayRunOptions = {}): ReplayRunResult {
  const loaded = loadRunDir(dir);
  const rec = loaded.record;
  const result = runTopology(loaded.spec, {
    ...opts,
    seed: rec.seed,
    duration: rec.duration,
    injections: loaded.recording.frames,
    ...(loaded.source ? { source: loaded.source } : rec.source !== null ? { origin: rec.source } : {}),
    ...(rec.input ? { input: rec.input } : {}),
  });
  return { ...result, loaded, verification: verifyReplay(rec, result.record) };
}
