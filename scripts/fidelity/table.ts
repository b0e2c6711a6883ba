/**
 * The fidelity table (`npm run fidelity`): reads the scenario results the differential tests recorded
 * (test/fidelity/result.ts `recordResult`: one JSON object per line) and the failed tests of vitest's
 * JSON report, and prints one row per scenario, a total line, then every difference (documented ones
 * with their id, undocumented ones as failures), what was masked, and the failed scenarios.
 *
 * The types are model.ts's (which test/fidelity/result.ts re-exports); every line read is checked
 * against them: a malformed line is one clear error naming its line.
 */

import type { FrameDifference, PortComparison, ScenarioResult } from "./model.js";

export type { FrameDifference, PortComparison, ScenarioResult };

/** A malformed results file or report: what and where, in one line. */
export class FidelityInputError extends Error {
  override readonly name = "FidelityInputError";
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

function checkDifference(x: unknown): x is FrameDifference {
  return (
    isObj(x) &&
    isCount(x.index) &&
    typeof x.what === "string" &&
    (x.known === undefined || typeof x.known === "string")
  );
}

function checkPort(x: unknown): x is PortComparison {
  return (
    isObj(x) &&
    typeof x.port === "string" &&
    isCount(x.oracle) &&
    isCount(x.vnet) &&
    isCount(x.equal) &&
    Array.isArray(x.differences) &&
    x.differences.every(checkDifference)
  );
}

function checkResult(x: unknown): x is ScenarioResult {
  return (
    isObj(x) &&
    typeof x.group === "string" &&
    typeof x.scenario === "string" &&
    typeof x.oracle === "string" &&
    Array.isArray(x.ports) &&
    x.ports.every(checkPort) &&
    (x.masked === undefined || (Array.isArray(x.masked) && x.masked.every((m) => typeof m === "string")))
  );
}

/** Parses the JSON-lines results file; `where` names it in errors. Blank lines are skipped. */
export function parseResults(text: string, where: string): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      throw new FidelityInputError(`${where}:${i + 1}: not JSON`);
    }
    if (!checkResult(x)) throw new FidelityInputError(`${where}:${i + 1}: not a scenario result`);
    out.push(x);
  }
  return out;
}

/** A test vitest reported as failed: its file and full name. */
export interface FailedTest {
  readonly file: string;
  readonly name: string;
}

/** The failed tests of vitest's JSON report (`--reporter=json`). */
export function failedTests(report: unknown, where: string): FailedTest[] {
  if (!isObj(report) || !Array.isArray(report.testResults)) {
    throw new FidelityInputError(`${where}: not a vitest JSON report`);
  }
  const out: FailedTest[] = [];
  for (const file of report.testResults) {
    if (!isObj(file)) continue;
    const name = typeof file.name === "string" ? file.name : "?";
    const tests = Array.isArray(file.assertionResults) ? file.assertionResults : [];
    let any = false;
    for (const t of tests) {
      if (isObj(t) && t.status === "failed") {
        any = true;
        out.push({ file: name, name: typeof t.fullName === "string" ? t.fullName : "?" });
      }
    }
    // A file that failed to load (syntax error, a throwing import) has no failed test but fails.
    if (!any && file.status === "failed") {
      const msg = typeof file.message === "string" ? `: ${file.message.split("\n")[0]}` : "";
      out.push({ file: name, name: `(file failed${msg})` });
    }
  }
  return out;
}

/** Row totals of one scenario. */
export interface Row {
  readonly group: string;
  readonly scenario: string;
  readonly oracle: string;
  readonly ports: number;
  readonly framesOracle: number;
  readonly framesVnet: number;
  readonly equal: number;
  readonly documented: number;
  readonly undocumented: number;
}

export function row(r: ScenarioResult): Row {
  let framesOracle = 0;
  let framesVnet = 0;
  let equal = 0;
  let documented = 0;
  let undocumented = 0;
  for (const p of r.ports) {
    framesOracle += p.oracle;
    framesVnet += p.vnet;
    equal += p.equal;
    for (const d of p.differences) {
      if (d.known === undefined) undocumented++;
      else documented++;
    }
  }
  return {
    group: r.group,
    scenario: r.scenario,
    oracle: r.oracle,
    ports: r.ports.length,
    framesOracle,
    framesVnet,
    equal,
    documented,
    undocumented,
  };
}

const GROUP_ORDER = ["bridge", "vlan", "router", "nat", "dhcp"];

/** Results in table order: by group (bridge, vlan, router, nat, dhcp, then others by name), stable. */
export function ordered(results: readonly ScenarioResult[]): ScenarioResult[] {
  const rank = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.group) - rank(b.r.group) || a.r.group.localeCompare(b.r.group) || a.i - b.i)
    .map((x) => x.r);
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Columns left-aligned (text) or right-aligned (numbers), two spaces apart. */
function layout(rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = right.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd(),
  );
}

export interface Report {
  readonly text: string;
  /** True when every scenario compared without an undocumented difference and no test failed. */
  readonly ok: boolean;
}

/** The whole printout: the table, the total line, differences, masked fields, failures. */
export function formatReport(results: readonly ScenarioResult[], failed: readonly FailedTest[]): Report {
  const list = ordered(results);
  const rows = list.map(row);
  const head = ["group", "scenario", "oracle", "ports", "frames oracle/vnet", "equal", "differing doc/undoc"];
  const cells = rows.map((r) => [
    r.group,
    cut(r.scenario, 72),
    r.oracle,
    String(r.ports),
    `${r.framesOracle}/${r.framesVnet}`,
    String(r.equal),
    `${r.documented}/${r.undocumented}`,
  ]);
  const sum = (k: keyof Row) => rows.reduce((a, r) => a + (r[k] as number), 0);
  const total = [
    "total",
    `${rows.length} scenarios${failed.length > 0 ? `, ${failed.length} failed` : ""}`,
    "",
    String(sum("ports")),
    `${sum("framesOracle")}/${sum("framesVnet")}`,
    String(sum("equal")),
    `${sum("documented")}/${sum("undocumented")}`,
  ];
  const right = [false, false, false, true, true, true, true];
  const lines = layout([head, ...cells, total], right);
  const rule = "-".repeat(Math.max(...lines.map((l) => l.length)));
  const out: string[] = [lines[0], rule, ...lines.slice(1, -1), rule, lines[lines.length - 1]];

  const diffs = (documented: boolean) =>
    list.flatMap((r) =>
      r.ports.flatMap((p) =>
        p.differences
          .filter((d) => (d.known !== undefined) === documented)
          .map(
            (d) =>
              `  ${r.group} / ${r.scenario} / ${p.port} #${d.index}${d.known ? ` [${d.known}]` : ""}: ${d.what}`,
          ),
      ),
    );
  const doc = diffs(true);
  const undoc = diffs(false);
  if (doc.length > 0) out.push("", "Documented differences (docs/fidelity.md):", ...doc);
  if (undoc.length > 0) out.push("", "UNDOCUMENTED differences:", ...undoc);
  const masked = new Map<string, number>();
  for (const r of list) for (const m of r.masked ?? []) masked.set(m, (masked.get(m) ?? 0) + 1);
  if (masked.size > 0) {
    out.push("", "Masked before comparing (scenarios):");
    for (const [m, n] of masked) out.push(`  ${m} (${n})`);
  }
  if (failed.length > 0) out.push("", "FAILED scenarios:", ...failed.map((f) => `  ${f.file} > ${f.name}`));
  if (rows.length === 0) out.push("", "No scenario recorded a result (no root, or every scenario skipped).");
  const ok = failed.length === 0 && undoc.length === 0 && rows.length > 0;
  out.push("", ok ? "fidelity: OK, no undocumented difference" : "fidelity: FAILED");
  return { text: `${out.join("\n")}\n`, ok };
}
