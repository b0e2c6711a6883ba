/**
 * The cpio "newc" writer of the test initramfs, read back field by field the way the kernel's
 * init/initramfs.c parses it (110-byte ASCII header, name and data each padded to 4 bytes, TRAILER!!!),
 * and, where a cpio program is on the machine, listed by it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCache } from "../../test/vm/tools.js";
import { buildInitramfs, type CpioEntry, cachedModules, cpioNewc } from "./initramfs.js";

interface Parsed {
  name: string;
  mode: number;
  nlink: number;
  mtime: number;
  rdev: [number, number];
  data: Uint8Array;
  headerAt: number;
}

const dec = new TextDecoder();

function parse(a: Uint8Array): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  for (;;) {
    const h = dec.decode(a.subarray(at, at + 110));
    expect(h.slice(0, 6)).toBe("070701");
    const f = (i: number) => Number.parseInt(h.slice(6 + 8 * i, 14 + 8 * i), 16);
    const size = f(6);
    const nameSize = f(11);
    const name = dec.decode(a.subarray(at + 110, at + 110 + nameSize - 1));
    expect(a[at + 110 + nameSize - 1]).toBe(0);
    const dataAt = at + 110 + nameSize + ((4 - ((110 + nameSize) % 4)) % 4);
    expect(dataAt % 4).toBe(0);
    out.push({
      name,
      mode: f(1),
      nlink: f(4),
      mtime: f(5),
      rdev: [f(9), f(10)],
      data: a.subarray(dataAt, dataAt + size),
      headerAt: at,
    });
    at = dataAt + size + ((4 - (size % 4)) % 4);
    if (name === "TRAILER!!!") break;
  }
  expect(at).toBe(a.length);
  return out;
}

const ENTRIES: CpioEntry[] = [
  { kind: "dir", path: "bin" },
  { kind: "dir", path: "dev" },
  { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
  { kind: "file", path: "bin/busybox", data: new Uint8Array([1, 2, 3, 4, 5]), mode: 0o755 },
  { kind: "symlink", path: "bin/sh", target: "busybox" },
  { kind: "file", path: "init", data: new TextEncoder().encode("#!/bin/sh\necho hi\n"), mode: 0o755 },
  { kind: "file", path: "empty", data: new Uint8Array(0) },
];

describe("cpioNewc", () => {
  it("writes the kernel's newc layout: headers, padding, device numbers, symlink targets, trailer", () => {
    const a = cpioNewc(ENTRIES);
    const p = parse(a);
    expect(p.map((e) => e.name)).toEqual([...ENTRIES.map((e) => e.path), "TRAILER!!!"]);
    expect(p[0].mode).toBe(0o040755);
    expect(p[0].nlink).toBe(2);
    expect(p[2].mode).toBe(0o020600);
    expect(p[2].rdev).toEqual([5, 1]);
    expect(p[3].mode).toBe(0o100755);
    expect([...p[3].data]).toEqual([1, 2, 3, 4, 5]);
    expect(p[4].mode).toBe(0o120777);
    expect(dec.decode(p[4].data)).toBe("busybox");
    expect(dec.decode(p[5].data)).toBe("#!/bin/sh\necho hi\n");
    expect(p[6].data.length).toBe(0);
    expect(p.every((e) => e.mtime === 0 && e.headerAt % 4 === 0)).toBe(true);
    // Same inputs, same bytes.
    expect(cpioNewc(ENTRIES)).toEqual(a);
  });

  it("refuses absolute paths", () => {
    expect(() => cpioNewc([{ kind: "dir", path: "/bin" }])).toThrow(/relative path/);
  });

  it("is listed by a real cpio (the machine's, or the fetched busybox's)", (ctx) => {
    const busybox = join(defaultCache(), "busybox");
    const cpio = !spawnSync("cpio", ["--version"]).error
      ? ["cpio"]
      : existsSync(busybox)
        ? [busybox, "cpio"]
        : null;
    if (!cpio) {
      ctx.skip("no cpio program on this machine (nor a fetched busybox: scripts/vm/fetch.sh)");
      return;
    }
    const r = spawnSync(cpio[0], [...cpio.slice(1), "-t"], { input: cpioNewc(ENTRIES), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(ENTRIES.map((e) => e.path));
  });
});

describe("buildInitramfs, bridge role (the VLAN oracle guest)", () => {
  it("holds init-bridge.sh as /init, the bridge and 802.1Q modules in load order, iproute2 and its loader", (ctx) => {
    const cache = defaultCache();
    if (!existsSync(join(cache, "manifest"))) {
      ctx.skip(`no fetched guest files in ${cache} (scripts/vm/fetch.sh)`);
      return;
    }
    let modules: string[];
    try {
      modules = cachedModules(cache, "bridge_modules");
    } catch {
      ctx.skip(`${cache}/manifest predates the bridge modules (run scripts/vm/fetch.sh)`);
      return;
    }
    let archive: Uint8Array;
    try {
      archive = buildInitramfs(cache, { role: "bridge" });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (!/iproute2|ldd/.test(why)) throw e;
      ctx.skip(why);
      return;
    }
    const files = new Map(parse(archive).map((e) => [e.name, e]));
    expect(dec.decode(files.get("init")?.data)).toContain("vlan_filtering 1");
    expect(modules).toEqual(["llc", "stp", "bridge", "mrp", "garp", "8021q"]);
    const order = dec.decode(files.get("lib/modules/order")?.data).trim().split("\n");
    expect(order.slice(-6)).toEqual(modules);
    expect(order[0]).toBe("virtio_ring");
    for (const m of order) expect(files.get(`lib/modules/${m}.ko`)?.data.length).toBeGreaterThan(0);
    for (const tool of ["opt/iproute2/ip", "opt/iproute2/bridge"]) {
      const f = files.get(tool);
      expect(f?.mode).toBe(0o100755);
      expect([...(f?.data.subarray(0, 4) ?? [])]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // ELF
    }
    // The dynamic loader and libc, at the paths the binaries name; every parent directory precedes them.
    const names = [...files.keys()];
    const loader = names.find((n) => /^lib64\/ld-linux/.test(n));
    expect(loader).toBeDefined();
    expect(names.some((n) => /\/libc\.so\.6$/.test(n))).toBe(true);
    for (const n of names) {
      const parent = n.includes("/") ? n.slice(0, n.lastIndexOf("/")) : null;
      if (parent) expect(names.indexOf(parent), `${parent} before ${n}`).toBeLessThan(names.indexOf(n));
    }
    // The guest role is unchanged: no iproute2, init.sh.
    const guest = new Map(parse(buildInitramfs(cache)).map((e) => [e.name, e]));
    expect(guest.has("opt/iproute2/ip")).toBe(false);
    expect(dec.decode(guest.get("init")?.data)).toContain("udhcpc");
  });
});
