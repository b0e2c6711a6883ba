/**
 * The one comparison every fidelity group uses: what a port emitted on the oracle and in vnet, each as
 * a list of comparable strings (a frame printed and in hex, after masking only what the oracle draws at
 * random; a `conntrack -L` entry; a counter's change), aligned in order and turned into a
 * `PortComparison`; then the scenario's `ScenarioResult`, recorded for `npm run fidelity` and asserted.
 */
import { expect } from "vitest";
import { knownDifference } from "./known.js";
import {
  type FrameDifference,
  type PortComparison,
  recordResult,
  type ScenarioResult,
  undocumented,
} from "./result.js";

/** A difference as the classifier sees it: both items (undefined when missing on that side). */
export interface DifferenceSite {
  readonly port: string;
  readonly index: number;
  readonly oracle: string | undefined;
  readonly vnet: string | undefined;
}

export interface CompareOptions {
  /** The documented difference (known.ts id) that explains every difference on this port. */
  readonly known?: string;
  /** Or, per difference: the id that explains it, or undefined when none does. */
  readonly classify?: (d: DifferenceSite) => string | undefined;
}

/** Longest common subsequence of `a` and `b`, as pairs of indices in order. */
function lcs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const len: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i][j] = a[i] === b[j] ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (len[i + 1][j] >= len[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/** An item's readable head and its hex tail, when it ends with one (frameText, formatFrame). */
function split(item: string): { head: string; hex: string | null } {
  const m = /^([\s\S]*?)[\s]+([0-9a-f]{2,})$/.exec(item);
  if (!m || m[2].length % 2 !== 0) return { head: item, hex: null };
  return { head: m[1], hex: m[2] };
}

function short(s: string, max = 160): string {
  const one = s.replace(/\s*\n\s*/g, " / ");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** One line saying how two items differ: the first differing byte when both carry hex, and both heads. */
export function describeDifference(oracle: string | undefined, vnet: string | undefined): string {
  if (vnet === undefined) return `missing in vnet: ${short(oracle ?? "")}`;
  if (oracle === undefined) return `extra in vnet: ${short(vnet)}`;
  const o = split(oracle);
  const v = split(vnet);
  let where = "";
  if (o.hex !== null && v.hex !== null) {
    const n = Math.min(o.hex.length, v.hex.length) / 2;
    let k = 0;
    while (k < n && o.hex.slice(2 * k, 2 * k + 2) === v.hex.slice(2 * k, 2 * k + 2)) k++;
    where =
      k < n
        ? `byte ${k}: oracle ${o.hex.slice(2 * k, 2 * k + 2)}, vnet ${v.hex.slice(2 * k, 2 * k + 2)}; `
        : `length: oracle ${o.hex.length / 2} B, vnet ${v.hex.length / 2} B; `;
  }
  return `${where}oracle ${short(o.head, 120)} | vnet ${short(v.head, 120)}`;
}

/**
 * Compares what one port emitted. Items are aligned in order (longest common subsequence), so one
 * missing frame is one difference, not a shifted tail; unmatched items between two matches are paired
 * as "differs", the rest are "missing in vnet" / "extra in vnet". `index` is the oracle position.
 */
export function comparePort(
  port: string,
  oracle: readonly string[],
  vnet: readonly string[],
  opts: CompareOptions = {},
): PortComparison {
  if (opts.known !== undefined) knownDifference(opts.known);
  const pairs = lcs(oracle, vnet);
  const differences: FrameDifference[] = [];
  const add = (index: number, o: string | undefined, v: string | undefined): void => {
    const id = opts.known ?? opts.classify?.({ port, index, oracle: o, vnet: v });
    if (id !== undefined) knownDifference(id);
    differences.push({ index, what: describeDifference(o, v), ...(id !== undefined && { known: id }) });
  };
  let i = 0;
  let j = 0;
  for (const [pi, pj] of [...pairs, [oracle.length, vnet.length] as [number, number]]) {
    while (i < pi && j < pj) add(i, oracle[i++], vnet[j++]);
    while (i < pi) add(i, oracle[i++], undefined);
    while (j < pj) add(i, undefined, vnet[j++]);
    i = pi + 1;
    j = pj + 1;
  }
  return { port, oracle: oracle.length, vnet: vnet.length, equal: pairs.length, differences };
}

/** Compares several ports at once: `oracle` and `vnet` map a port name to its items (same names). */
export function comparePorts(
  oracle: Readonly<Record<string, readonly string[]>>,
  vnet: Readonly<Record<string, readonly string[]>>,
  opts: CompareOptions = {},
): PortComparison[] {
  const names = [...new Set([...Object.keys(oracle), ...Object.keys(vnet)])];
  return names.map((p) => comparePort(p, oracle[p] ?? [], vnet[p] ?? [], opts));
}

/**
 * Records `r` (result.ts `recordResult`) and asserts it: no undocumented difference. When the scenario
 * shows a documented difference (`expectKnown`), also asserts that it still shows it, so the day vnet
 * matches the oracle the test says so and the entry can go.
 */
export function expectFaithful(r: ScenarioResult, opts: { readonly expectKnown?: string } = {}): void {
  recordResult(r);
  const bad = r.ports.flatMap((p) =>
    p.differences.filter((d) => d.known === undefined).map((d) => `${p.port} #${d.index}: ${d.what}`),
  );
  expect(bad, `undocumented differences in ${r.group} "${r.scenario}"`).toEqual([]);
  expect(undocumented(r)).toEqual([]);
  if (opts.expectKnown !== undefined) {
    knownDifference(opts.expectKnown);
    const shown = r.ports.some((p) => p.differences.some((d) => d.known === opts.expectKnown));
    expect(shown, `"${r.scenario}" no longer shows ${opts.expectKnown}: vnet matches; remove it`).toBe(true);
  }
}
