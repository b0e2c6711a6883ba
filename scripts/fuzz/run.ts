/** One fuzz target under fast-check (shared by scripts/fuzz/main.ts and test/robustness/fuzz.test.ts). */
import fc from "fast-check";
import type { FuzzTarget } from "./targets.js";

/** Runs one target; returns the failure text or null. */
export function fuzzTarget(t: FuzzTarget, runs: number, seed: number, path: string | null): string | null {
  const n = path !== null ? 1 : Math.max(1, Math.floor(runs / (t.cost ?? 1)));
  const r = fc.check(
    fc.property(t.arbitrary, (x) => t.run(x as never)),
    {
      numRuns: n,
      seed,
      ...(path !== null ? { path, endOnFailure: true } : {}),
    },
  );
  if (!r.failed) return null;
  const err =
    r.errorInstance instanceof Error
      ? (r.errorInstance.stack ?? r.errorInstance.message)
      : String(r.errorInstance);
  return [
    `FAIL ${t.name}: seed ${r.seed} path ${r.counterexamplePath} after ${r.numRuns} cases, ${r.numShrinks} shrinks`,
    `  counterexample: ${fc.stringify(r.counterexample)}`,
    `  ${err.split("\n").slice(0, 8).join("\n  ")}`,
    `  replay: npm run fuzz -- --only ${t.name} --seed ${r.seed} --path ${r.counterexamplePath}`,
  ].join("\n");
}
