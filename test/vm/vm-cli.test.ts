/**
 * `vnet vm` with real QEMU guests (`npm run test:vm`; skipped under `npm test`): a topology file whose
 * VMs carry `qemu:` blocks (the Debian cloud kernel and the test initramfs of scripts/vm/), run by the
 * command's own code (`vmCommand`). vnet launches both QEMUs itself, each NIC on an inherited socket pair
 * (`-netdev stream,addr.type=fd,addr.str=3`), prints their consoles prefixed with their names, and stops
 * when both guests have powered off. Checked: the leases and pings the guests report on their consoles,
 * the session directory (vms.json) and its replay, byte for byte.
 *
 * Without qemu-system-x86_64 or the fetched kernel/busybox the test is skipped with the reason, except in
 * CI, where it fails. Bounds: `--duration 150s` (vnet stops the QEMUs: SIGTERM, then SIGKILL), and the
 * test's own 175 s. Only inherited fds are used: no socket file, no port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Output } from "../../cli/output.js";
import { type VmResult, vmCommand } from "../../cli/vm.js";
import { writeInitramfs } from "../../scripts/vm/initramfs.js";
import { replayRun } from "../../topology/index.js";
import { findVmTools, inCi } from "./tools.js";

const RUN = process.env.VNET_VM === "1";
const WEB = "198.51.100.10";

/** The guests' /init parameters (scripts/vm/init.sh): each waits 10 s after its checks so the other can ping it. */
function append(name: string, params: string): string {
  return `console=ttyS0 quiet panic=-1 ipv6.disable=1 vnet_name=${name} ${params} vnet_wait=10`;
}

function topology(qemu: string, kernel: string): string {
  const block = (name: string, params: string) =>
    `{ binary: ${qemu}, memory: 192M, kernel: ${kernel}, initrd: initramfs.cpio, append: "${append(name, params)}", args: [-no-reboot] }`;
  return `name: vm-cli
seed: 9
networks:
  lan: { mode: nat }
vms:
  vm1:
    nics: [{ network: lan, mac: "52:54:00:e2:e1:01" }]
    qemu: ${block("vm1", `vnet_ping=10.0.2.2,${WEB} vnet_resolve=vm2`)}
  vm2:
    nics: [{ network: lan, mac: "52:54:00:e2:e1:02" }]
    qemu: ${block("vm2", "vnet_resolve=vm1")}
captures: all
`;
}

describe.skipIf(!RUN)("vnet vm: vnet launches the QEMU guests itself (npm run test:vm)", () => {
  it("two guests from a topology file's qemu: blocks: leases, pings, consoles prefixed, stop when both power off; the session replays", async (ctx) => {
    const tools = findVmTools();
    if (typeof tools === "string") {
      if (inCi()) throw new Error(`the vnet vm test cannot run in CI: ${tools}`);
      console.warn(`test:vm (vnet vm) skipped: ${tools}`);
      ctx.skip(tools);
      return;
    }
    const work = mkdtempSync(join(tmpdir(), "vnet-vm-cli-"));
    let ok = false;
    try {
      writeInitramfs(tools.cache, join(work, "initramfs.cpio"));
      const file = join(work, "lab.yaml");
      writeFileSync(file, topology(tools.qemu, tools.kernel));
      const record = join(work, "session");
      const outFile = join(work, "stdout.txt");
      const { openSync, closeSync } = await import("node:fs");
      const fd = openSync(outFile, "w");
      const consoles: string[] = [];
      const stderr: string[] = [];
      let r: VmResult;
      try {
        r = await vmCommand(
          { file, record, duration: "150s" },
          {
            out: new Output(fd),
            err: (l) => stderr.push(l),
            console: (vm, line) => consoles.push(`${vm} | ${line}`),
            until: new Promise(() => {}),
          },
        );
      } finally {
        closeSync(fd);
      }
      const stdout = readFileSync(outFile, "utf8");
      const why = `--- stdout\n${stdout}\n--- consoles\n${consoles.slice(-60).join("\n")}\n--- stderr\n${stderr.join("\n")}`;
      const mark = (vm: string, prefix: string) =>
        consoles
          .find((l) => l.startsWith(`${vm} | `) && l.includes(`VNET ${prefix}`))
          ?.replace(/^.*VNET /, "");

      expect(r.code, why).toBe(0);
      expect(stdout, why).toContain("stopped (every VM exited)");
      expect(r.exits, why).toEqual([
        { vm: "vm1", code: 0, signal: null },
        { vm: "vm2", code: 0, signal: null },
      ]);
      // The consoles, each line prefixed with its VM's name: the leases vnet's slirp-like DHCP gave
      // (first of the pool by MAC order of arrival, so either address), pings to the gateway, the outside
      // through NAT, and each other by name (vnet's DNS answers from the leases).
      const l1 = mark("vm1", "lease");
      const l2 = mark("vm2", "lease");
      expect(l1, why).toMatch(/^lease ip=10\.0\.2\.(15|16) mask=24 router=10\.0\.2\.2 dns=10\.0\.2\.3 /);
      expect(l2, why).toMatch(/^lease ip=10\.0\.2\.(15|16) mask=24 router=10\.0\.2\.2 dns=10\.0\.2\.3 /);
      const ip1 = /ip=(\S+)/.exec(l1 ?? "")?.[1];
      const ip2 = /ip=(\S+)/.exec(l2 ?? "")?.[1];
      expect(ip1).not.toBe(ip2);
      const answered = /^ping \S+ sent=3 received=3$/;
      expect(mark("vm1", "ping 10.0.2.2 "), why).toMatch(answered);
      expect(mark("vm1", `ping ${WEB} `), why).toMatch(answered);
      expect(mark("vm1", "resolve vm2 "), why).toBe(`resolve vm2 ${ip2}`);
      expect(mark("vm1", `ping vm2=${ip2} `), why).toMatch(answered);
      expect(mark("vm2", "resolve vm1 "), why).toBe(`resolve vm1 ${ip1}`);
      expect(mark("vm2", `ping vm1=${ip1} `), why).toMatch(answered);
      expect(mark("vm1", "poweroff"), why).toBe("poweroff");
      expect(mark("vm2", "poweroff"), why).toBe("poweroff");
      // vnet's side: both NICs on inherited fds, what the guests sent recorded, the DHCP table agrees.
      const serve = r.serve;
      if (!serve) throw new Error("no session");
      expect(serve.nics.map((n) => [n.edge, n.attach.kind, n.mac])).toEqual([
        ["vm1.eth0", "stream-fd", "52:54:00:e2:e1:01"],
        ["vm2.eth0", "stream-fd", "52:54:00:e2:e1:02"],
      ]);
      expect(serve.record.edges.frames).toBe(serve.nics.reduce((n, x) => n + x.attach.counters.rxFrames, 0));
      const leases = serve.report.dhcp.flatMap((d) => d.leases);
      expect(leases.find((l) => l.mac === "52:54:00:e2:e1:01")).toMatchObject({ ip: ip1, hostname: "vm1" });
      expect(leases.find((l) => l.mac === "52:54:00:e2:e1:02")).toMatchObject({ ip: ip2, hostname: "vm2" });
      const vms = JSON.parse(readFileSync(join(record, "vms.json"), "utf8"));
      expect(vms.vms.map((v: { vm: string; stoppedByVnet: boolean }) => [v.vm, v.stoppedByVnet])).toEqual([
        ["vm1", false],
        ["vm2", false],
      ]);
      // The session replays in virtual time: every capture byte for byte.
      const replay = replayRun(record, { captureDir: join(work, "replay") });
      expect(replay.verification.differ).toEqual([]);
      expect(replay.verification.missing).toEqual([]);
      expect(replay.verification.ok).toBe(true);
      ok = true;
    } finally {
      if (ok && process.env.VNET_VM_KEEP !== "1") rmSync(work, { recursive: true, force: true });
      else console.warn(`test:vm (vnet vm): work directory kept: ${work}`);
    }
  }, 175_000);
});
