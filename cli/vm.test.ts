/**
 * `vnet vm` without QEMU: the QEMU command line built from a topology's `qemu:` blocks, the checks made
 * before anything starts, and a whole session with a stand-in "QEMU" (a small node program that speaks
 * QEMU's stream framing on its fd 3 and prints on its stdout, as a guest's serial console would). The real
 * guests are in test/vm/vm-cli.test.ts (`npm run test:vm`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTopologyYaml, replayRun } from "../topology/index.js";
import { describeError } from "./errors.js";
import { Output } from "./output.js";
import { writeFakeQemu } from "./testing-qemu.js";
import { findProgram, qemuVmArgs, type VmIo, type VmResult, vmCommand } from "./vm.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-vm-cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the QEMU command line of a VM (qemuVmArgs)", () => {
  it("takes every field of the qemu: block, paths relative to the topology's folder, one fd NIC per NIC", () => {
    const args = qemuVmArgs(
      "vm1",
      {
        memory: "512M",
        cpus: 2,
        accel: "kvm",
        machine: "q35",
        kernel: "boot/vmlinuz",
        initrd: "/abs/initrd.img",
        append: "console=ttyS0 quiet",
        disks: [
          { file: "disk,1.qcow2", format: "qcow2", snapshot: true },
          { file: "seed.iso", interface: "ide", readonly: true },
        ],
        nicModel: "e1000",
        args: ["-no-reboot"],
      },
      [
        { edge: "vm1.eth0", mac: "52:54:00:00:00:01", fd: 3 },
        { edge: "vm1.eth1", mac: "52:54:00:00:00:02", fd: 4 },
      ],
      "/labs/one",
    );
    expect(args).toEqual([
      ...["-name", "vm1", "-accel", "kvm", "-machine", "q35", "-m", "512M", "-smp", "2"],
      ...["-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none"],
      ...[
        "-kernel",
        "/labs/one/boot/vmlinuz",
        "-initrd",
        "/abs/initrd.img",
        "-append",
        "console=ttyS0 quiet",
      ],
      ...["-drive", "file=/labs/one/disk,,1.qcow2,if=virtio,format=qcow2,snapshot=on"],
      ...["-drive", "file=/labs/one/seed.iso,if=ide,readonly=on"],
      ...["-netdev", "stream,id=vm1-eth0,addr.type=fd,addr.str=3"],
      ...["-device", "e1000,netdev=vm1-eth0,mac=52:54:00:00:00:01"],
      ...["-netdev", "stream,id=vm1-eth1,addr.type=fd,addr.str=4"],
      ...["-device", "e1000,netdev=vm1-eth1,mac=52:54:00:00:00:02"],
      "-no-reboot",
    ]);
  });

  it("defaults: tcg, 256M, one vCPU, virtio-net-pci", () => {
    expect(qemuVmArgs("a", {}, [{ edge: "a.eth0", mac: "52:54:00:00:00:0a", fd: 3 }], "/x")).toEqual([
      ...["-name", "a", "-accel", "tcg", "-m", "256M", "-smp", "1"],
      ...["-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none"],
      ...["-netdev", "stream,id=a-eth0,addr.type=fd,addr.str=3"],
      ...["-device", "virtio-net-pci,netdev=a-eth0,mac=52:54:00:00:00:0a"],
    ]);
  });

  it("finds a program in PATH or by path", () => {
    expect(findProgram("sh", "/", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
    expect(findProgram("no-such-program-here", "/", "/bin:/usr/bin")).toBeNull();
    expect(findProgram("./sh", "/bin")).toBe("/bin/sh");
    expect(findProgram("./nope", "/bin")).toBeNull();
  });
});

describe("the qemu: block in a topology file", () => {
  it("is parsed (kebab-case keys, a disk as a path or a mapping, memory as QEMU's -m)", () => {
    const spec = parseTopologyYaml(
      `name: q
networks: { lan: { mode: nat } }
vms:
  vm1:
    nics: [lan]
    qemu: { memory: 512, kernel: k, disks: [a.img, { file: b.qcow2, format: qcow2, snapshot: true }], nic-model: e1000 }
`,
      "q.yaml",
    );
    expect(spec.vms.vm1.qemu).toEqual({
      memory: "512",
      kernel: "k",
      disks: [{ file: "a.img" }, { file: "b.qcow2", format: "qcow2", snapshot: true }],
      nicModel: "e1000",
    });
  });

  it("reports mistakes with their line and column", () => {
    const bad = (qemu: string) => {
      try {
        parseTopologyYaml(
          `name: q\nnetworks: { lan: { mode: nat } }\nvms:\n  vm1:\n    nics: [lan]\n    qemu: ${qemu}\n`,
          "q.yaml",
        );
        return "parsed";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad("{ memory: 12X }")).toBe(
      `q.yaml:6:21: vms.vm1.qemu.memory: expected memory as QEMU's -m takes it (256M, 1G, or a number of MiB), got "12X"`,
    );
    expect(bad("{ initrd: i.img }")).toBe(
      "q.yaml:6:21: vms.vm1.qemu.initrd: initrd needs kernel (QEMU takes -initrd only with -kernel)",
    );
    expect(bad("{ kernal: k }")).toMatch(
      /^q\.yaml:6:13: vms\.vm1\.qemu\.kernal: unknown key "kernal" \(did you mean "kernel"\?\)/,
    );
    expect(bad("{ cpus: 0 }")).toMatch(/^q\.yaml:6:19: vms\.vm1\.qemu\.cpus: expected a number of vCPUs/);
  });
});

function topologyFile(qemu: string): string {
  writeFakeQemu(dir);
  writeFileSync(join(dir, "vmlinuz"), "not a kernel");
  const file = join(dir, "lab.yaml");
  writeFileSync(
    file,
    `name: lab
seed: 3
networks:
  lan: { mode: nat }
vms:
  vm1:
    nics: [{ network: lan, mac: "52:54:00:ab:00:01" }, lan]
    qemu: ${qemu}
  vm2: { nics: [lan], udp-echo: 7 }
traffic:
  - { at: 1s, ping: { from: vm2, to: vm1 } }
captures: all
`,
  );
  return file;
}

async function vm(args: Parameters<typeof vmCommand>[0]): Promise<{
  r: VmResult | null;
  stdout: string;
  stderr: string[];
  console: string[];
  error: string | null;
  code: number;
}> {
  const path = join(dir, "stdout.txt");
  const { openSync, closeSync } = await import("node:fs");
  const fd = openSync(path, "w");
  const out = new Output(fd);
  const stderr: string[] = [];
  const consoleLines: string[] = [];
  const io: VmIo = {
    out,
    err: (l) => stderr.push(l),
    console: (v, l) => consoleLines.push(`${v} | ${l}`),
    until: new Promise(() => {}),
  };
  let r: VmResult | null = null;
  let error: string | null = null;
  let code = 0;
  try {
    r = await vmCommand(args, io);
    code = r.code;
    out.flush();
  } catch (e) {
    const d = describeError(e);
    error = d.message;
    code = d.code;
  } finally {
    closeSync(fd);
  }
  return { r, stdout: readFileSync(path, "utf8"), stderr, console: consoleLines, error, code };
}

describe("vnet vm", () => {
  it("--dry-run prints each QEMU command line with the topology's MACs on fds 3, 4", async () => {
    const file = topologyFile("{ binary: ./fake-qemu, kernel: vmlinuz, append: console=ttyS0 }");
    const o = await vm({ file, dryRun: true });
    expect(o.error).toBeNull();
    const lines = o.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `vm1: ${join(dir, "fake-qemu")} -name vm1 -accel tcg -m 256M -smp 1 -nodefaults -display none -serial stdio -monitor none ` +
        `-kernel ${join(dir, "vmlinuz")} -append console=ttyS0 ` +
        "-netdev stream,id=vm1-eth0,addr.type=fd,addr.str=3 -device virtio-net-pci,netdev=vm1-eth0,mac=52:54:00:ab:00:01 " +
        `-netdev stream,id=vm1-eth1,addr.type=fd,addr.str=4 -device virtio-net-pci,netdev=vm1-eth1,mac=${/mac=(\S+)$/.exec(lines[0])?.[1]}`,
    );
    expect(lines[1]).toBe("  fd 3: vm1.eth0 (MAC 52:54:00:ab:00:01), a socket pair with vnet");
    expect(lines[2]).toMatch(/^ {2}fd 4: vm1\.eth1 \(MAC 52:54:00:[0-9a-f:]{8}\), a socket pair with vnet$/);
    expect(existsSync(join(dir, "vnet-lab"))).toBe(false);
  });

  it("refuses, in one line, a missing QEMU program, a missing kernel, and a topology without qemu: blocks", async () => {
    let o = await vm({ file: topologyFile("{ binary: no-such-qemu-here, kernel: vmlinuz }") });
    expect(o.error).toBe(
      `no-such-qemu-here: not found in PATH (vms.vm1.qemu.binary in ${join(dir, "lab.yaml")}; Debian: apt-get install qemu-system-x86)`,
    );
    expect(o.code).toBe(1);
    o = await vm({ file: topologyFile("{ binary: ./fake-qemu, kernel: boot/bzImage }") });
    expect(o.error).toBe(
      `${join(dir, "boot/bzImage")}: no such file (vms.vm1.qemu.kernel in ${join(dir, "lab.yaml")})`,
    );
    expect(o.code).toBe(1);
    writeFileSync(
      join(dir, "plain.yaml"),
      "name: plain\nnetworks: { lan: { mode: nat } }\nvms: { vm1: { nics: [lan] } }\n",
    );
    o = await vm({ file: join(dir, "plain.yaml") });
    expect(o.error).toMatch(/plain\.yaml: no VM has a qemu: block/);
    expect(o.code).toBe(2);
    expect(o.stderr).toEqual([]);
  });

  it("launches the VM with its NICs on socket pairs, prefixes its console, stops when it exits, and the session replays", async () => {
    const file = topologyFile("{ binary: ./fake-qemu, kernel: vmlinuz }");
    const record = join(dir, "session");
    const o = await vm({ file, record });
    expect(o.error).toBeNull();
    expect(o.code).toBe(0);
    expect(o.console).toEqual(
      expect.arrayContaining([
        "vm1 | SeaBIOS (stand-in)",
        "vm1 | vm1 booted on 2 NIC(s)",
        "vm1 | partial line without newline",
        "vm1 | qemu-system-x86_64: warning: a stand-in",
      ]),
    );
    expect(o.stdout).toContain("vnet vm: lab: 1 QEMU VM (vm1), session recorded in");
    expect(o.stdout).toContain("(left out: ping vm2 -> vm1 at 1s: vm1 is a real VM)");
    expect(o.stdout).toContain("stopped (every VM exited)");
    const r = o.r?.serve;
    expect(r).toBeTruthy();
    if (!r) return;
    // Both NICs' frames entered the network (recorded at their edges); the broadcast reached vm2's port.
    expect(r.nics.map((n) => [n.edge, n.attach.kind, n.attach.counters.rxFrames])).toEqual([
      ["vm1.eth0", "stream-fd", 1],
      ["vm1.eth1", "stream-fd", 1],
    ]);
    expect(r.record.edges.frames).toBe(2);
    expect(readFileSync(join(record, "vm2-eth0.pcap")).includes(Buffer.from("hello from vm1"))).toBe(true);
    const vms = JSON.parse(readFileSync(join(record, "vms.json"), "utf8"));
    expect(vms.vms[0]).toMatchObject({ vm: "vm1", exit: { code: 0, signal: null }, stoppedByVnet: false });
    expect(vms.vms[0].argv).toContain("stream,id=vm1-eth1,addr.type=fd,addr.str=4");
    const replay = replayRun(record, { captureDir: join(dir, "replay") });
    expect(replay.verification.differ).toEqual([]);
    expect(replay.verification.ok).toBe(true);
  });

  it("on SIGINT/SIGTERM (io.until) it stops the QEMUs still running with SIGTERM, then writes the session", async () => {
    const file = topologyFile("{ binary: ./fake-qemu, kernel: vmlinuz }");
    process.env.FAKE_STAY = "1";
    try {
      let stop: (why: string) => void = () => {};
      const until = new Promise<string>((r) => {
        stop = r;
      });
      const consoleLines: string[] = [];
      const { openSync, closeSync } = await import("node:fs");
      const fd = openSync(join(dir, "o.txt"), "w");
      let r: VmResult;
      try {
        r = await vmCommand(
          { file, record: join(dir, "s") },
          {
            out: new Output(fd),
            err: () => {},
            console: (vm, l) => {
              consoleLines.push(`${vm} | ${l}`);
              if (l.includes("booted")) stop("SIGINT");
            },
            until,
          },
        );
      } finally {
        closeSync(fd);
      }
      expect(r.code).toBe(0);
      // (after the stand-in's line without a newline: the same console line)
      expect(consoleLines.at(-1)).toBe("vm1 | partial line without newlineterminating on signal 15");
      expect(readFileSync(join(dir, "o.txt"), "utf8")).toContain("stopped (SIGINT)");
      const vms = JSON.parse(readFileSync(join(dir, "s", "vms.json"), "utf8"));
      expect(vms.vms[0]).toMatchObject({ vm: "vm1", stoppedByVnet: true, exit: { code: 0 } });
      expect(existsSync(join(dir, "s", "run.json"))).toBe(true);
    } finally {
      delete process.env.FAKE_STAY;
    }
  });

  it("a QEMU that fails makes the exit code 1, with one line", async () => {
    const file = topologyFile("{ binary: ./fake-qemu, kernel: vmlinuz }");
    process.env.FAKE_EXIT = "1";
    try {
      const o = await vm({ file, record: join(dir, "s") });
      expect(o.code).toBe(1);
      expect(o.stderr).toContain(
        `vnet: vm1: QEMU exited with code 1 (its messages are above, prefixed "vm1 | ")`,
      );
    } finally {
      delete process.env.FAKE_EXIT;
    }
  });
});
