/**
 * The units a topology file writes, parsed in one place: durations to integer nanoseconds (SimTime),
 * rates to bits per second (tc(8) units), sizes to bytes, loss to a probability 0..1.
 *
 * Units are explicit (Mininet's lesson): a duration or a rate needs its unit (`5ms`, `100mbit`); only
 * 0 may go without. Every parser throws `UnitError` with what it expected, and the caller (the topology
 * schema) adds the field and the file position.
 */
import type { SimTime } from "../sim/time.js";

/** A value that does not parse in its unit; `message` says what was expected and what was given. */
export class UnitError extends Error {
  override readonly name = "UnitError";
}

const NUMBER = "([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?";

function quoted(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function split(v: string): { n: number; unit: string } | null {
  const m = new RegExp(`^${NUMBER}\\s*([a-zA-Zµ%]*)$`).exec(v.trim());
  if (!m) return null;
  const num = v
    .trim()
    .slice(0, v.trim().length - m[2].length)
    .trim();
  return { n: Number(num), unit: m[2] };
}

/** Nanoseconds per duration unit (`m` is minutes; `µs`/`us` microseconds). */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  min: 60e9,
  h: 3600e9,
  d: 86400e9,
};

/**
 * `5ms`, `1.5s`, `2m`, `1h`, `250us`, `10ns`, `1d` → integer ns (rounded to the nearest ns). A bare 0
 * is allowed; any other number without a unit is refused (is `5` seconds or milliseconds?).
 */
export function parseDuration(v: unknown): SimTime {
  if (v === 0 || v === "0") return 0;
  const want = "a duration with a unit (250us, 5ms, 1.5s, 2m, 1h)";
  if (typeof v === "number") throw new UnitError(`expected ${want}, got ${v} (no unit)`);
  if (typeof v !== "string") throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  const p = split(v);
  if (!p || !Number.isFinite(p.n)) throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  if (p.unit === "") throw new UnitError(`expected ${want}, got ${quoted(v)} (no unit)`);
  const k = DURATION_UNITS[p.unit];
  if (k === undefined)
    throw new UnitError(`unknown duration unit "${p.unit}" in ${quoted(v)} (ns, us, ms, s, m, h, d)`);
  const t = Math.round(p.n * k);
  if (!Number.isSafeInteger(t)) throw new UnitError(`duration ${quoted(v)} is too long`);
  return t;
}

/**
 * Rates as tc(8) writes them: `bit`, `kbit`, `mbit`, `gbit`, `tbit` are bits per second with SI
 * multipliers (1000); `kibit`, `mibit`, `gibit`, `tibit` binary ones (1024); `bps`, `kbps`, `mbps`,
 * `gbps`, `tbps` (and `kibps` …) are BYTES per second, as in tc (`10mbps` = 80 Mbit/s). Case is
 * ignored. A bare number is refused: write the unit.
 */
export function parseRate(v: unknown): number {
  const want = "a rate with a tc unit (64kbit, 100mbit, 1gbit; bps = bytes/s)";
  if (typeof v === "number") throw new UnitError(`expected ${want}, got ${v} (no unit)`);
  if (typeof v !== "string") throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  const p = split(v);
  if (!p || !Number.isFinite(p.n)) throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  if (p.unit === "") throw new UnitError(`expected ${want}, got ${quoted(v)} (no unit)`);
  const m = /^(|k|m|g|t|ki|mi|gi|ti)(bit|bps)$/.exec(p.unit.toLowerCase());
  if (!m)
    throw new UnitError(
      `unknown rate unit "${p.unit}" in ${quoted(v)} (bit, kbit, mbit, gbit; bps = bytes/s)`,
    );
  const mult: Record<string, number> = {
    "": 1,
    k: 1e3,
    m: 1e6,
    g: 1e9,
    t: 1e12,
    ki: 1024,
    mi: 1024 ** 2,
    gi: 1024 ** 3,
    ti: 1024 ** 4,
  };
  const bits = p.n * mult[m[1]] * (m[2] === "bps" ? 8 : 1);
  if (!(bits > 0)) throw new UnitError(`rate must be above 0, got ${quoted(v)}`);
  return bits;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** `1500` (bytes), `1500B`, `64KiB`, `1MB` (SI) → whole bytes. */
export function parseSize(v: unknown): number {
  const want = "a size in bytes (1500, 64KiB, 1MB)";
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") {
    const p = split(v);
    if (!p || !Number.isFinite(p.n)) throw new UnitError(`expected ${want}, got ${quoted(v)}`);
    const k = p.unit === "" ? 1 : SIZE_UNITS[p.unit.toLowerCase()];
    if (k === undefined)
      throw new UnitError(`unknown size unit "${p.unit}" in ${quoted(v)} (B, KiB, MiB, kB, MB)`);
    n = p.n * k;
  } else throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UnitError(`expected ${want}, got ${quoted(v)} (not whole bytes)`);
  return n;
}

/** `1%` (percent, 0..100) or `0.01` (a probability, 0..1) → probability 0..1. */
export function parseProbability(v: unknown): number {
  const want = "a probability (0.01) or a percentage (1%)";
  let p: number;
  if (typeof v === "number") p = v;
  else if (typeof v === "string") {
    const t = v.trim();
    if (t.endsWith("%")) {
      const n = t.slice(0, -1).trim();
      p = new RegExp(`^${NUMBER}$`).test(n) ? Number(n) / 100 : Number.NaN;
    } else p = new RegExp(`^${NUMBER}$`).test(t) ? Number(t) : Number.NaN;
  } else throw new UnitError(`expected ${want}, got ${quoted(v)}`);
  if (!(p >= 0 && p <= 1)) throw new UnitError(`expected ${want} between 0 and 100%, got ${quoted(v)}`);
  return p;
}

/** A duration for reports: the largest unit that gives a short number (`1.5s`, `250us`, `2h`). */
export function formatDuration(t: SimTime): string {
  if (t === 0) return "0s";
  const units: [string, number][] = [
    ["h", 3600e9],
    ["m", 60e9],
    ["s", 1e9],
    ["ms", 1e6],
    ["us", 1e3],
  ];
  for (const [u, k] of units) {
    if (Math.abs(t) >= k && (t % k === 0 || u === "s" || u === "ms" || u === "us")) {
      const x = t / k;
      return `${Number.isInteger(x) ? x : Number(x.toFixed(3))}${u}`;
    }
  }
  return `${t}ns`;
}

/** A rate for reports in tc's style: `100mbit`, `64kbit`, `1.5gbit`, `300bit`. */
export function formatRate(bits: number): string {
  for (const [u, k] of [
    ["gbit", 1e9],
    ["mbit", 1e6],
    ["kbit", 1e3],
  ] as const) {
    if (bits >= k) return `${Number((bits / k).toFixed(3))}${u}`;
  }
  return `${Number(bits.toFixed(3))}bit`;
}
