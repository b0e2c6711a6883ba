/**
 * What the end-to-end test needs from the machine: `qemu-system-x86_64` (Debian `qemu-system-x86`) and
 * the cache scripts/vm/fetch.sh fills (the cloud kernel, its virtio-net modules, a static busybox).
 * Missing tools are a plain reason string: the test skips with it locally and fails with it in CI.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface VmTools {
  readonly qemu: string;
  readonly qemuVersion: string;
  /** The fetch cache: vmlinuz, busybox, modules/, manifest. */
  readonly cache: string;
  readonly kernel: string;
}

/** True when the environment says this is CI (the `CI` variable most CI systems set, not "false"/"0"). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** The cache directory fetch.sh uses by default. */
export function defaultCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.VNET_VM_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "vnet-vm");
}

const FETCH = fileURLToPath(new URL("../../scripts/vm/fetch.sh", import.meta.url));

/** The tools, or why they are not there. Runs fetch.sh (idempotent, bounded to 5 minutes). */
export function findVmTools(env: NodeJS.ProcessEnv = process.env): VmTools | string {
  const qemu = env.VNET_QEMU || "qemu-system-x86_64";
  const v = spawnSync(qemu, ["--version"], { encoding: "utf8", timeout: 20_000 });
  if (v.error || v.status !== 0) {
    return `${qemu} not found (apt-get install -y --no-install-recommends qemu-system-x86)`;
  }
  const cache = defaultCache(env);
  const f = spawnSync("bash", [FETCH, cache], { encoding: "utf8", timeout: 300_000 });
  if (f.error || f.status !== 0) {
    const why = (f.stderr || f.error?.message || `exit ${f.status}`).trim().split("\n").pop();
    return `cannot fetch the guest kernel and busybox (scripts/vm/fetch.sh): ${why}`;
  }
  const kernel = join(cache, "vmlinuz");
  if (!existsSync(kernel)) return `scripts/vm/fetch.sh left no ${kernel}`;
  return { qemu, qemuVersion: v.stdout.split("\n")[0].trim(), cache, kernel };
}
