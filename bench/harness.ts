import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";

/** One line of the bench output: vnet's figure next to one peer's, measured in the same run. */
export interface BenchRow {
  readonly name: string;
  readonly unit: string;
  readonly vnet: number;
  readonly peer: string;
  readonly peer_value: number | null;
  /** > 1 means vnet is better (for rates: vnet / peer). */
  readonly ratio: number | null;
  readonly loadavg: number;
  readonly note?: string;
}

export interface Bench {
  readonly name: string;
  readonly describe: string;
  run(ctx: BenchContext): Promise<BenchRow[]> | BenchRow[];
}

export interface BenchContext {
  /** Scratch directory for generated inputs (kept between runs, keyed by parameters). */
  readonly workDir: string;
  readonly rounds: number;
  readonly log: (msg: string) => void;
}

/** Wall-clock seconds of `fn` (bench code is a tool outside the deterministic core). */
export function timeIt(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs a shell command, returning its wall time; throws with its stderr if it fails. */
export function timeCommand(cmd: string): number {
  let res: ReturnType<typeof spawnSync> | undefined;
  const t = timeIt(() => {
    res = spawnSync("sh", ["-c", cmd], { stdio: ["ignore", "ignore", "pipe"] });
  });
  if (res?.status !== 0) {
    throw new Error(`bench peer failed: ${cmd}: ${res?.stderr?.toString().trim() ?? "no result"}`);
  }
  return t;
}

export function haveCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Median of `rounds` measurements of `measure` (seconds). */
export async function median(rounds: number, measure: () => number | Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) xs.push(await measure());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

export function rateRow(
  name: string,
  unit: string,
  vnet: number,
  peer: string,
  peerValue: number | null,
  note?: string,
): BenchRow {
  return {
    name,
    unit,
    vnet: Math.round(vnet),
    peer,
    peer_value: peerValue === null ? null : Math.round(peerValue),
    ratio: peerValue ? Math.round((vnet / peerValue) * 100) / 100 : null,
    loadavg: Math.round(loadavg()[0] * 100) / 100,
    ...(note ? { note } : {}),
  };
}
