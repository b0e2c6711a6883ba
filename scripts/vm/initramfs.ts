/**
 * A tiny initramfs for the QEMU end-to-end test (test/vm/): the static busybox, the virtio-net modules
 * and scripts/vm/init.sh as /init, written as a cpio "newc" archive (the format the Linux kernel unpacks,
 * `Documentation/driver-api/early-userspace/buffer-format.rst`) by this file itself.
 *
 * Why not `find . | cpio -o -H newc` (REAL-VMS.md's recipe)? Writing the archive here needs no host tools
 * and no root: /dev/console is a character-device entry in the archive (the kernel opens it as /init's
 * stdin/stdout; without it the serial console shows nothing from /init), every entry gets mtime 0, uid 0,
 * and the same inode numbers, so the same inputs give the same bytes. Uncompressed by default: the guest
 * runs under TCG, where gunzip costs more than reading 2.5 MB more from QEMU's memory.
 *
 * Inputs come from the cache scripts/vm/fetch.sh fills: `busybox`, `modules/*.ko` and `manifest` (whose
 * `modules=` line is the load order).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One archive entry. Paths are relative (no leading `/`), as the kernel expects. */
export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly kind: "chardev";
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const HEADER_LEN = 110;
const TRAILER = "TRAILER!!!";
const enc = new TextEncoder();

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** The `newc` archive (magic 070701, no checksums) of `entries`, in order, with the trailer. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
  };
  const record = (
    ino: number,
    mode: number,
    name: string,
    data: Uint8Array,
    nlink: number,
    rdev: [number, number],
  ): void => {
    const nameBytes = enc.encode(name);
    const fields = [
      ino,
      mode,
      0, // uid
      0, // gid
      nlink,
      0, // mtime
      data.length,
      0, // dev major
      0, // dev minor
      rdev[0],
      rdev[1],
      nameBytes.length + 1, // with its NUL
      0, // check
    ];
    push(enc.encode(`070701${fields.map(hex8).join("")}`));
    push(nameBytes);
    push(new Uint8Array(1 + pad4(HEADER_LEN + nameBytes.length + 1)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  };
  let ino = 1;
  for (const e of entries) {
    if (e.path.startsWith("/") || e.path === "")
      throw new Error(`cpio: relative path expected, got "${e.path}"`);
    switch (e.kind) {
      case "dir":
        record(ino++, S_IFDIR | (e.mode ?? 0o755), e.path, new Uint8Array(0), 2, [0, 0]);
        break;
      case "file":
        record(ino++, S_IFREG | (e.mode ?? 0o644), e.path, e.data, 1, [0, 0]);
        break;
      case "symlink":
        record(ino++, S_IFLNK | 0o777, e.path, enc.encode(e.target), 1, [0, 0]);
        break;
      case "chardev":
        record(ino++, S_IFCHR | (e.mode ?? 0o600), e.path, new Uint8Array(0), 1, [e.major, e.minor]);
        break;
    }
  }
  record(0, 0, TRAILER, new Uint8Array(0), 1, [0, 0]);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The module names of the cache's manifest (`modules=a b c`), in load order; with `key`
 * "bridge_modules", the bridge and 802.1Q modules (loaded after virtio-net by the bridge role).
 */
export function cachedModules(cache: string, key = "modules"): string[] {
  const line = readFileSync(join(cache, "manifest"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}=`));
  if (!line) throw new Error(`${join(cache, "manifest")}: no ${key}= line (run scripts/vm/fetch.sh again)`);
  return line
    .slice(key.length + 1)
    .trim()
    .split(/\s+/);
}

/** Where the bridge role's iproute2 binaries live in the archive (init-bridge.sh calls them there). */
export const IPROUTE2_DIR = "opt/iproute2";

/**
 * The host's iproute2 `ip` and `bridge` and every shared library they load (read with `ldd`), as
 * archive files at the paths the dynamic loader looks for (/lib64/ld-linux-x86-64.so.2,
 * /lib/x86_64-linux-gnu/…); the binaries go to /opt/iproute2. busybox's `ip` cannot set bridge VLANs
 * (`bridge vlan`), so the VLAN oracle guest runs the real tools. Throws one line when the host has no
 * iproute2 or no ldd.
 */
export function iproute2Files(): {
  readonly path: string;
  readonly data: Uint8Array;
  readonly mode: number;
}[] {
  const dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  const found = ["ip", "bridge"].map((tool) => {
    const at = dirs.map((d) => join(d, tool)).find((f) => existsSync(f));
    if (!at) throw new Error(`iproute2's ${tool} not found in ${dirs.join(", ")} (apt-get install iproute2)`);
    return { tool, at };
  });
  const libs = new Set<string>();
  for (const { at } of found) {
    const r = spawnSync("ldd", [at], { encoding: "utf8", timeout: 20_000 });
    if (r.error || r.status !== 0)
      throw new Error(`ldd ${at} failed: ${r.error?.message ?? r.stderr.trim()}`);
    for (const line of r.stdout.split("\n")) {
      // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)".
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
      if (m) libs.add(m[1]);
      else if (/not found/.test(line)) throw new Error(`ldd ${at}: ${line.trim()}`);
    }
  }
  return [
    ...found.map(({ tool, at }) => ({
      path: `${IPROUTE2_DIR}/${tool}`,
      data: readFileSync(at),
      mode: 0o755,
    })),
    ...[...libs].sort().map((lib) => ({ path: lib.slice(1), data: readFileSync(lib), mode: 0o755 })),
  ];
}

/** scripts/vm/<name> (init.sh, udhcpc.sh): beside this file, or in the source tree when run from dist/. */
function script(name: string): Uint8Array {
  const here = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const source = fileURLToPath(new URL(`../../../scripts/vm/${name}`, import.meta.url));
  return readFileSync(existsSync(here) ? here : source);
}

export interface InitramfsOptions {
  /** gzip the archive (the kernel takes both). Default false. */
  readonly gzip?: boolean;
  /**
   * "guest" (default): the end-to-end test's VM (init.sh). "bridge": the VLAN oracle of
   * test/vm/vlan.test.ts (init-bridge.sh as /init, the bridge and 802.1Q modules after virtio-net, the
   * host's iproute2 with its libraries).
   */
  readonly role?: "guest" | "bridge";
}

/** The directories every archive has. */
const BASE_DIRS: readonly string[] = [
  ...["bin", "dev", "etc", "lib", "lib/modules", "proc", "root", "sbin", "sys", "tmp", "usr", "usr/bin"],
];

/**
 * The guest's initramfs: /init (scripts/vm/init.sh), /etc/udhcpc.sh, /bin/busybox (+ /bin/sh), the
 * modules as /lib/modules/NAME.ko with /lib/modules/order, /dev/console and /dev/null. The bridge role
 * (`opts.role`): /init is init-bridge.sh, the order goes on with the bridge modules, and iproute2 is in.
 */
export function buildInitramfs(cache: string, opts: InitramfsOptions = {}): Uint8Array {
  const bridge = opts.role === "bridge";
  const modules = [...cachedModules(cache), ...(bridge ? cachedModules(cache, "bridge_modules") : [])];
  const extra = bridge ? iproute2Files() : [];
  const extraDirs = new Set<string>();
  for (const f of extra) {
    for (let d = dirname(f.path); d !== "." && d !== ""; d = dirname(d)) extraDirs.add(d);
  }
  const entries: CpioEntry[] = [
    ...BASE_DIRS.map((path): CpioEntry => ({ kind: "dir", path })),
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "chardev", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
    { kind: "file", path: "bin/busybox", data: readFileSync(join(cache, "busybox")), mode: 0o755 },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    ...[...extraDirs]
      .filter((d) => !BASE_DIRS.includes(d))
      .sort()
      .map((path): CpioEntry => ({ kind: "dir", path })),
    { kind: "file", path: "init", data: script(bridge ? "init-bridge.sh" : "init.sh"), mode: 0o755 },
    { kind: "file", path: "etc/udhcpc.sh", data: script("udhcpc.sh"), mode: 0o755 },
    { kind: "file", path: "lib/modules/order", data: enc.encode(`${modules.join("\n")}\n`) },
    ...modules.map(
      (m): CpioEntry => ({
        kind: "file",
        path: `lib/modules/${m}.ko`,
        data: readFileSync(join(cache, "modules", `${m}.ko`)),
      }),
    ),
    ...extra.map((f): CpioEntry => ({ kind: "file", ...f })),
  ];
  const archive = cpioNewc(entries);
  return opts.gzip ? gzipSync(archive, { level: 6 }) : archive;
}

/** Builds the initramfs from `cache` into `out`; returns its size in bytes. */
export function writeInitramfs(cache: string, out: string, opts: InitramfsOptions = {}): number {
  const bytes = buildInitramfs(cache, opts);
  writeFileSync(out, bytes);
  return bytes.length;
}
