/**
 * TAP slots in topology files (`tap:` on a VM NIC): `vnet serve` opens a Linux TAP device inside a network
 * namespace as that NIC's peer, so the kernel's stack there (or anything bridged to the TAP) is the VM.
 *
 * The kernel part makes two namespaces of its own (and deletes them in `finally`): in the first the
 * kernel's address is on the TAP itself; in the second the TAP is enslaved to a Linux bridge that holds
 * the address (so its frames carry the bridge's MAC, not the TAP's). The kernels ping a simulated node
 * through vnet, then each other across vnet's bridge; the session replays byte for byte. Needs root,
 * /dev/net/tun, iproute2, ping (Debian iputils-ping) and the TAP addon: skipped with the reason otherwise,
 * failed in CI. The schema part runs everywhere.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tapUnavailableReason } from "../attach/index.js";
import { parseTopologyYaml, replayRun } from "../topology/index.js";
import { describeError } from "./errors.js";
import { Output } from "./output.js";
import { serveCommand, startServe } from "./serve.js";
import { writeFakeQemu } from "./testing-qemu.js";
import { vmCommand } from "./vm.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-serve-tap-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function parseError(yaml: string): string {
  try {
    parseTopologyYaml(yaml, "t.yaml");
    return "parsed";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("tap: on a VM NIC (the topology file)", () => {
  it("takes a name, or a name and a namespace", () => {
    const spec = parseTopologyYaml(
      `name: t
networks: { lan: { mode: isolated, subnet: 10.1.0.0/24 } }
vms:
  a: { nics: [{ network: lan, tap: vtap0 }] }
  b: { nics: [{ network: lan, tap: { name: vtap1, netns: lab } }] }
`,
      "t.yaml",
    );
    expect(spec.vms.a.nics[0].tap).toEqual({ name: "vtap0" });
    expect(spec.vms.b.nics[0].tap).toEqual({ name: "vtap1", netns: "lab" });
  });

  it("reports bad names, a TAP given twice and a TAP on a qemu: VM with their line and column", () => {
    const head = "name: t\nnetworks: { lan: { mode: isolated, subnet: 10.1.0.0/24 } }\nvms:\n";
    expect(parseError(`${head}  a: { nics: [{ network: lan, tap: a-name-of-16-byte }] }\n`)).toBe(
      't.yaml:4:36: vms.a.nics[0].tap: expected an interface name (1 to 15 bytes, no spaces, / or :), got "a-name-of-16-byte"',
    );
    expect(parseError(`${head}  a: { nics: [{ network: lan, tap: { name: t0, netns: "a b" } }] }\n`)).toMatch(
      /^t\.yaml:4:55: vms\.a\.nics\[0\]\.tap\.netns: expected a network namespace/,
    );
    expect(
      parseError(
        `${head}  a: { nics: [{ network: lan, tap: { name: t0, netns: x } }] }\n  b: { nics: [{ network: lan, tap: { name: t0, netns: x } }] }\n`,
      ),
    ).toBe("t.yaml:5:36: vms.b.nics[0].tap: TAP t0 in x is already the peer of a.eth0");
    expect(parseError(`${head}  a: { nics: [{ network: lan, tap: t0 }], qemu: { memory: 1G } }\n`)).toBe(
      "t.yaml:4:36: vms.a.nics[0].tap: a VM with qemu: has its NICs on vnet (vnet vm plugs them in); a TAP peer belongs to a VM without qemu:",
    );
  });
});

function skipReason(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  if (spawnSync("ip", ["-V"]).status !== 0) return "no iproute2";
  if (spawnSync("ping", ["-V"]).status !== 0) return "no ping (Debian iputils-ping)";
  if (tapUnavailableReason() !== null) {
    const here = dirname(fileURLToPath(import.meta.url));
    spawnSync(process.execPath, [join(here, "..", "attach", "native", "build.mjs")], { stdio: "ignore" });
  }
  return null;
}

const skip = skipReason();
if (skip !== null && !process.env.CI) console.log(`TAP slot test skipped: ${skip}`);
const ns1 = `vnet-tap1-${process.pid}`;
const ns2 = `vnet-tap2-${process.pid}`;
const sh = (ns: string, ...cmd: string[]): string =>
  execFileSync("ip", ["netns", "exec", ns, ...cmd]).toString();
/**
 * A command in the namespace, bounded in time, without throwing on a non-zero exit. Asynchronous: vnet
 * runs in this process and must go on carrying the frames meanwhile.
 */
const run = (ns: string, ...cmd: string[]): Promise<{ stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", ns, ...cmd],
      { encoding: "utf8", timeout: 20_000 },
      (_e, stdout, stderr) => resolve({ stdout, stderr }),
    );
  });

describe("TAP slots in CI", () => {
  it.runIf(skip !== null && !!process.env.CI)("has root, /dev/net/tun, iproute2 and ping in CI", () => {
    throw new Error(`CI must run the TAP slot test: ${skip}`);
  });
});

describe.skipIf(skip !== null)(`vnet serve with TAP slots (${skip ?? "root, /dev/net/tun"})`, () => {
  it("the kernels of two namespaces (one behind a Linux bridge) ping a simulated node and each other through vnet; the session replays", async () => {
    const why = tapUnavailableReason();
    if (why !== null) {
      if (process.env.CI) throw new Error(`the TAP addon did not build in CI: ${why}`);
      return;
    }
    const spec = parseTopologyYaml(
      `name: tap-slots
seed: 4
networks:
  lan: { mode: isolated, subnet: 10.9.0.0/24 }
vms:
  k1: { nics: [{ network: lan, mac: "52:54:00:77:00:01", tap: { name: vtap0, netns: ${ns1} } }] }
  k2: { nics: [{ network: lan, mac: "52:54:00:77:00:02", tap: { name: vtap1, netns: ${ns2} } }] }
  sim: { nics: [{ network: lan, ip: 10.9.0.2/24 }], udp-echo: 7 }
captures: all
`,
      "tap-slots.yaml",
    );
    execFileSync("ip", ["netns", "add", ns1]);
    execFileSync("ip", ["netns", "add", ns2]);
    let session: Awaited<ReturnType<typeof startServe>> | null = null;
    try {
      const log: string[] = [];
      session = await startServe(
        { spec },
        { dir: join(dir, "session"), vms: ["k1", "k2"], log: (l) => log.push(l) },
      );
      expect(session.nics.map((n) => [n.edge, n.attach.kind, n.attach.address, n.backend])).toEqual([
        ["k1.eth0", "tap", `tap:vtap0 (netns /var/run/netns/${ns1})`, null],
        ["k2.eth0", "tap", `tap:vtap1 (netns /var/run/netns/${ns2})`, null],
      ]);
      // The devices are in the test's namespaces (not ours), with the topology's MACs.
      expect(sh(ns1, "ip", "link", "show", "vtap0")).toContain("link/ether 52:54:00:77:00:01");
      expect(sh(ns2, "ip", "link", "show", "vtap1")).toContain("link/ether 52:54:00:77:00:02");
      expect(spawnSync("ip", ["link", "show", "vtap0"]).status).not.toBe(0);
      for (const ns of [ns1, ns2]) {
        sh(ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
        sh(ns, "ip", "link", "set", "lo", "up");
      }
      // ns1: the kernel's address on the TAP. ns2: the TAP in a Linux bridge that has the address.
      sh(ns1, "ip", "addr", "add", "10.9.0.1/24", "dev", "vtap0");
      sh(ns1, "ip", "link", "set", "vtap0", "up");
      sh(ns2, "ip", "link", "add", "br0", "address", "52:54:00:77:0b:0b", "type", "bridge");
      sh(ns2, "ip", "link", "set", "vtap1", "master", "br0");
      sh(ns2, "ip", "addr", "add", "10.9.0.3/24", "dev", "br0");
      sh(ns2, "ip", "link", "set", "vtap1", "up");
      sh(ns2, "ip", "link", "set", "br0", "up");

      const p1 = await run(ns1, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.9.0.2");
      expect(p1.stdout, p1.stderr).toMatch(/3 packets transmitted, 3 received/);
      const p2 = await run(ns2, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.9.0.2");
      expect(p2.stdout, p2.stderr).toMatch(/3 packets transmitted, 3 received/);
      const p12 = await run(ns1, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.9.0.3");
      expect(p12.stdout, p12.stderr).toMatch(/2 packets transmitted, 2 received/);
      // The simulated node learned the kernels' MACs: the TAP's own, and the bridge's behind the other TAP.
      expect(sh(ns1, "ip", "neigh", "show", "10.9.0.2")).toMatch(/lladdr 52:54:00:[0-9a-f:]{8}/);
      const udp = await run(
        ns1,
        "bash",
        "-c",
        "exec 3<>/dev/udp/10.9.0.2/7; echo hello >&3; timeout 3 head -c 6 <&3",
      );
      expect(udp.stdout.trim()).toBe("hello");

      const result = await session.stop();
      session = null;
      const [k1, k2] = result.nics.map((n) => n.attach.counters);
      expect(k1.rxFrames).toBeGreaterThanOrEqual(6); // ARP + 3 + 2 echo requests + the datagram
      expect(k2.rxFrames).toBeGreaterThanOrEqual(4);
      expect(Object.keys(k1.txDrops)).toEqual([]);
      expect(result.record.edges.frames).toBe(k1.rxFrames + k2.rxFrames);
      const sim = result.report.ports.find((p) => p.name === "sim.eth0");
      expect(sim?.rxPackets, JSON.stringify(result.report.ports)).toBeGreaterThanOrEqual(8);
      const replay = replayRun(result.dir, { captureDir: join(dir, "replay") });
      expect(replay.verification.differ).toEqual([]);
      expect(replay.verification.ok).toBe(true);
    } finally {
      if (session) await session.stop();
      execFileSync("ip", ["netns", "del", ns1]);
      execFileSync("ip", ["netns", "del", ns2]);
    }
  });

  it("vnet serve prints a TAP slot instead of QEMU flags", async () => {
    if (tapUnavailableReason() !== null) return;
    const ns = `vnet-tap3-${process.pid}`;
    const file = join(dir, "t.yaml");
    writeFileSync(
      file,
      `name: t\nnetworks: { lan: { mode: isolated } }\nvms:\n  k: { nics: [{ network: lan, ip: none, mac: "52:54:00:77:00:09", tap: { name: vtap5, netns: ${ns} } }] }\n`,
    );
    execFileSync("ip", ["netns", "add", ns]);
    try {
      const outFile = join(dir, "serve-out.txt");
      const fd = openSync(outFile, "w");
      try {
        await serveCommand(
          { file, record: join(dir, "s") },
          { out: new Output(fd), err: () => {}, until: Promise.resolve("test") },
        );
      } finally {
        closeSync(fd);
      }
      const text = readFileSync(outFile, "utf8");
      expect(text).toContain(
        `k.eth0  network lan  MAC 52:54:00:77:00:09  tap:vtap5 (netns /var/run/netns/${ns})`,
      );
      expect(text).toContain(
        `  Linux TAP vtap5 in netns ${ns} (given MAC 52:54:00:77:00:09): the kernel's stack there is the peer`,
      );
      expect(text).not.toContain("-netdev");
      // Closed with the session: the device went with its file (a TAP made by vnet is not persistent).
      expect(spawnSync("ip", ["netns", "exec", ns, "ip", "link", "show", "vtap5"]).status).not.toBe(0);
    } finally {
      execFileSync("ip", ["netns", "del", ns]);
    }
  });

  it("vnet vm serves tap: NICs beside the QEMUs it launches, and stops when the QEMUs have exited", async () => {
    if (tapUnavailableReason() !== null) return;
    const ns = `vnet-tap4-${process.pid}`;
    writeFakeQemu(dir);
    writeFileSync(join(dir, "vmlinuz"), "not a kernel");
    const file = join(dir, "lab.yaml");
    writeFileSync(
      file,
      `name: lab
networks: { lan: { mode: isolated, subnet: 10.9.0.0/24 } }
vms:
  vm1: { nics: [{ network: lan, ip: none }], qemu: { binary: ./fake-qemu, kernel: vmlinuz } }
  kern: { nics: [{ network: lan, ip: none, mac: "52:54:00:77:00:0a", tap: { name: vtap6, netns: ${ns} } }] }
`,
    );
    execFileSync("ip", ["netns", "add", ns]);
    try {
      // A persistent TAP made beforehand, up: vnet attaches to it (and it stays after vnet closes it).
      sh(ns, "ip", "tuntap", "add", "dev", "vtap6", "mode", "tap");
      sh(ns, "ip", "link", "set", "vtap6", "up");
      const dry = join(dir, "dry.txt");
      let fd = openSync(dry, "w");
      try {
        await vmCommand({ file, dryRun: true }, { out: new Output(fd), err: () => {} });
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(dry, "utf8")).toContain(
        `kern.eth0: Linux TAP vtap6 in netns ${ns} (the kernel's stack there is the peer)`,
      );
      const outFile = join(dir, "out.txt");
      fd = openSync(outFile, "w");
      let r: Awaited<ReturnType<typeof vmCommand>>;
      try {
        r = await vmCommand(
          { file, record: join(dir, "s"), duration: "30s" },
          { out: new Output(fd), err: () => {}, console: () => {}, until: new Promise(() => {}) },
        );
      } finally {
        closeSync(fd);
      }
      expect(r.code).toBe(0);
      expect(readFileSync(outFile, "utf8")).toContain("stopped (every VM exited)");
      const nics = r.serve?.nics ?? [];
      expect(nics.map((n) => [n.edge, n.attach.kind])).toEqual([
        ["vm1.eth0", "stream-fd"],
        ["kern.eth0", "tap"],
      ]);
      // The stand-in's broadcast reached the kernel's TAP, which has the topology's MAC.
      expect(nics[1].attach.counters.txFrames).toBeGreaterThanOrEqual(1);
      expect(sh(ns, "ip", "link", "show", "vtap6")).toContain("link/ether 52:54:00:77:00:0a");
    } finally {
      execFileSync("ip", ["netns", "del", ns]);
    }
  });

  it("a namespace that does not exist is one clear line, and nothing is left open", async () => {
    if (tapUnavailableReason() !== null) return;
    const gone = `vnet-no-such-ns-${process.pid}`;
    const spec = parseTopologyYaml(
      `name: t\nnetworks: { lan: { mode: isolated } }\nvms:\n  k: { nics: [{ network: lan, ip: none, tap: { name: vtap9, netns: ${gone} } }] }\n`,
      "t.yaml",
    );
    let msg = "";
    let code = 0;
    try {
      await startServe({ spec }, { dir: join(dir, "s"), vms: null, log: () => {} });
    } catch (e) {
      ({ message: msg, code } = describeError(e));
    }
    expect(msg).toBe(
      `k.eth0: cannot open TAP vtap9 in /var/run/netns/${gone}: /var/run/netns/${gone}: No such file or directory`,
    );
    expect(code).toBe(2);
  });
});
