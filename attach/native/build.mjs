#!/usr/bin/env node
/**
 * Builds attach/native (the TAP addon) with npm's own node-gyp, offline, against this machine's Node
 * headers. Never fails the install: where it cannot build (no compiler, no headers, not Linux), it says
 * so in one line and vnet works without Linux TAP devices. `node attach/native/build.mjs` by hand, or
 * from npm's install step.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  candidates.push(
    join(
      dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  );
  return candidates.find((c) => existsSync(c)) ?? null;
}

if (process.platform !== "linux") {
  console.error("vnet: TAP addon skipped (Linux only)");
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) {
  console.error(
    "vnet: TAP addon not built (node-gyp not found next to npm); Linux TAP attach points are unavailable",
  );
  process.exit(0);
}
const headers = existsSync("/usr/include/node/node_api.h") ? ["--nodedir=/usr"] : [];
const r = spawnSync(process.execPath, [gyp, "rebuild", ...headers], {
  cwd: here,
  stdio: ["ignore", "ignore", "pipe"],
});
if (r.status !== 0) {
  const why = (r.stderr?.toString() ?? "")
    .split("\n")
    .filter((l) => /error/i.test(l))
    .slice(0, 2)
    .join("; ");
  console.error(
    `vnet: TAP addon not built (${why || `node-gyp exit ${r.status}`}); Linux TAP attach points are unavailable`,
  );
}
process.exit(0);
