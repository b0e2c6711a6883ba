/**
 * `npm run fidelity`: runs every differential fidelity scenario (test/fidelity/vitest.config.ts: the
 * Linux bridge/router/NAT namespace tests, test/fidelity/**, and with `--vm` or VNET_VM=1 the VLAN
 * scenarios in a QEMU guest) with VNET_FIDELITY_OUT set, then prints the fidelity table (table.ts).
 *
 *   npm run fidelity -- [--vm] [--keep DIR] [FILTER…]
 *
 * `--vm` also runs the QEMU guest scenarios; `--keep DIR` leaves results.jsonl and vitest.json in DIR;
 * FILTERs are passed to vitest (file name filters). Exit status 1 when a scenario failed or showed an
 * undocumented difference, 2 on a usage error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FidelityInputError, failedTests, formatReport, parseResults } from "./table.js";

interface Args {
  vm: boolean;
  keep: string | null;
  filters: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { vm: process.env.VNET_VM === "1", keep: null, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "--vm") a.vm = true;
    else if (k === "--keep") {
      const v = argv[++i];
      if (v === undefined) throw new FidelityInputError("--keep needs a directory");
      a.keep = v;
    } else if (k.startsWith("--")) throw new FidelityInputError(`unknown option ${k}`);
    else a.filters.push(k);
  }
  return a;
}

/** The repository root: dist/scripts/fidelity/main.js → three levels up. */
function repoRoot(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const up of ["../../..", "../.."]) {
    const r = resolve(here, up);
    if (existsSync(join(r, "package.json")) && existsSync(join(r, "test", "fidelity"))) return r;
  }
  throw new FidelityInputError(`cannot find the repository root from ${here}`);
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fidelity: ${(e as Error).message}`);
    return 2;
  }
  const root = repoRoot();
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  if (!existsSync(vitest)) throw new FidelityInputError(`vitest not found at ${vitest} (run npm install)`);
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), "vnet-fidelity-"));
  mkdirSync(dir, { recursive: true });
  const resultsFile = join(dir, "results.jsonl");
  const reportFile = join(dir, "vitest.json");
  writeFileSync(resultsFile, "");
  rmSync(reportFile, { force: true });
  try {
    const run = spawnSync(
      process.execPath,
      [
        vitest,
        "run",
        "--config",
        "test/fidelity/vitest.config.ts",
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${reportFile}`,
        ...args.filters,
      ],
      {
        cwd: root,
        stdio: "inherit",
        env: { ...process.env, VNET_FIDELITY_OUT: resultsFile, ...(args.vm && { VNET_VM: "1" }) },
      },
    );
    if (run.error) throw new FidelityInputError(`cannot run vitest: ${run.error.message}`);
    const results = parseResults(readFileSync(resultsFile, "utf8"), resultsFile);
    let failed = existsSync(reportFile)
      ? failedTests(JSON.parse(readFileSync(reportFile, "utf8")) as unknown, reportFile)
      : [];
    if (run.status !== 0 && failed.length === 0) {
      failed = [{ file: "vitest", name: `exited with status ${run.status ?? run.signal}` }];
    }
    failed = failed.map((f) => ({ ...f, file: relative(root, f.file) || f.file }));
    const report = formatReport(results, failed);
    process.stdout.write(`\n${report.text}`);
    if (args.keep) process.stdout.write(`results kept in ${dir}\n`);
    return report.ok ? 0 : 1;
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (e) {
  if (!(e instanceof FidelityInputError)) throw e;
  console.error(`fidelity: ${e.message}`);
  process.exitCode = 1;
}
