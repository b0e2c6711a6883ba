#!/usr/bin/env node
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachBenches } from "./attach.js";
import { bridgeBenches } from "./bridge.js";
import type { Bench, BenchRow } from "./harness.js";
import { lanBenches } from "./lan.js";
import { lanIpBenches } from "./lan-ip.js";
import { natBenches } from "./nat.js";
import { pcapBenches } from "./pcap.js";
import { simBenches } from "./sim.js";

/**
 * `npm run bench [-- --only NAME[,NAME]] [--json] [--rounds N]`: runs vnet and the tools a user would
 * pick instead side by side in one run, and prints ratios (> 1: vnet is better).
 */
const benches: Bench[] = [
  ...pcapBenches,
  ...bridgeBenches,
  ...simBenches,
  ...lanBenches,
  ...lanIpBenches,
  ...natBenches,
  ...attachBenches,
];

function parseArgs(argv: string[]): { only: string[] | null; json: boolean; rounds: number } {
  let only: string[] | null = null;
  let json = false;
  let rounds = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--only") only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a.startsWith("--only=")) only = a.slice(7).split(",").filter(Boolean);
    else if (a === "--rounds") rounds = Math.max(1, Number(argv[++i]) || 1);
    else if (a === "--list") {
      for (const b of benches) console.log(`${b.name}\t${b.describe}`);
      process.exit(0);
    } else {
      console.error(
        `vnet bench: unknown argument ${JSON.stringify(a)} (use --only NAME, --json, --rounds N, --list)`,
      );
      process.exit(2);
    }
  }
  return { only, json, rounds };
}

function fmt(n: number | null): string {
  if (n === null) return "-";
  return n >= 1000 ? Math.round(n).toLocaleString("en-US") : String(n);
}

async function main(): Promise<void> {
  const { only, json, rounds } = parseArgs(process.argv.slice(2));
  const unknown = (only ?? []).filter((n) => !benches.some((b) => b.name === n));
  if (unknown.length) {
    console.error(
      `vnet bench: no benchmark named ${unknown.join(", ")} (have: ${benches.map((b) => b.name).join(", ")})`,
    );
    process.exit(2);
  }
  const workDir = join(tmpdir(), "vnet-bench");
  mkdirSync(workDir, { recursive: true });
  const rows: BenchRow[] = [];
  for (const b of benches) {
    if (only && !only.includes(b.name)) continue;
    const log = (msg: string) => {
      if (!json) process.stderr.write(`[${b.name}] ${msg}\n`);
    };
    const got = await b.run({ workDir, rounds, log });
    for (const r of got) {
      rows.push(r);
      if (json) console.log(JSON.stringify(r));
    }
  }
  if (json) return;
  const header = ["name", "unit", "vnet", "peer", "peer value", "ratio", "load"];
  const table = rows.map((r) => [
    r.name,
    r.unit,
    fmt(r.vnet),
    r.peer,
    fmt(r.peer_value),
    r.ratio === null ? "-" : `${r.ratio}×`,
    String(r.loadavg),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const t of table) console.log(line(t));
  for (const r of rows) if (r.note) console.log(`note (${r.name}, ${r.peer}): ${r.note}`);
}

main().catch((e: unknown) => {
  console.error(`vnet bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
