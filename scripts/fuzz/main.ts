/**
 * `npm run fuzz`: every fuzz target of scripts/fuzz/targets.ts under fast-check, 10^6 cases each by
 * default (device targets fewer: the count divided by their cost), then the hostile-load figures.
 *
 *   npm run fuzz -- [--runs N] [--only TARGET[,TARGET…]] [--seed S] [--path P] [--hostile] [--list]
 *
 * A failure prints the target, the seed and the counterexample path, and the command that replays it
 * (`--only T --seed S --path P` runs that one case). Exit status 1 when any target failed.
 */
import { hostileReport } from "./hostile.js";
import { fuzzTarget } from "./run.js";
import { TARGETS, target } from "./targets.js";

interface Args {
  runs: number;
  only: string[] | null;
  seed: number | null;
  path: string | null;
  hostile: boolean;
  list: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { runs: 1_000_000, only: null, seed: null, path: null, hostile: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--runs") a.runs = Number(v());
    else if (k === "--only") a.only = v().split(",");
    else if (k === "--seed") a.seed = Number(v());
    else if (k === "--path") a.path = v();
    else if (k === "--hostile") a.hostile = true;
    else if (k === "--list") a.list = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error("--runs must be a positive integer");
  return a;
}

function main(): number {
  const a = parseArgs(process.argv.slice(2));
  if (a.list) {
    for (const t of TARGETS) console.log(t.name);
    return 0;
  }
  const targets = a.only === null ? TARGETS : a.only.map(target);
  let failed = 0;
  if (!a.hostile || a.only !== null) {
    for (const t of targets) {
      // Each target gets its own seed unless one is given (printed, so any run can be repeated).
      const seed = a.seed ?? (Date.now() ^ (t.name.length * 7919)) >>> 0;
      const start = process.hrtime.bigint();
      const fail = fuzzTarget(t, a.runs, seed, a.path);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      const n = a.path !== null ? 1 : Math.max(1, Math.floor(a.runs / (t.cost ?? 1)));
      if (fail === null)
        console.log(`ok   ${t.name.padEnd(26)} ${n} cases, seed ${seed}, ${secs.toFixed(1)} s`);
      else {
        failed++;
        console.log(fail);
      }
    }
  }
  if (a.hostile || a.only === null) {
    for (const line of hostileReport({ full: true })) console.log(line);
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
