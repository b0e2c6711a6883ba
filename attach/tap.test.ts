/**
 * A real Linux TAP device (inside a network namespace this test makes and deletes) as an attach point:
 * the kernel's own IPv4 stack is the peer of a vnet guest. The kernel answers the guest's ARP and pings,
 * and a UDP datagram the kernel sends (bash's /dev/udp) reaches the guest's socket. Needs root,
 * /dev/net/tun, iproute2 and the addon (built here if missing); otherwise skipped with the reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Guest, type PingResult } from "../guest/index.js";
import { connect, Port } from "../netdev/index.js";
import { Simulator } from "../sim/index.js";
import { ms } from "../sim/time.js";
import { formatMac } from "../wire/addr.js";
import { waitUntil } from "./peer.js";
import { plug } from "./plug.js";
import { RealtimeDriver } from "./realtime.js";
import { TapAttach, TapError, tapUnavailableReason } from "./tap.js";

function skipReason(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  if (spawnSync("ip", ["-V"]).status !== 0) return "no iproute2";
  if (tapUnavailableReason() !== null) {
    const here = dirname(fileURLToPath(import.meta.url));
    spawnSync(process.execPath, [join(here, "native", "build.mjs")], { stdio: "ignore" });
  }
  return null;
}

const skip = skipReason();
if (skip !== null && !process.env.CI) console.log(`Linux TAP attach test skipped: ${skip}`);
const ns = `vnet-tap-${process.pid}`;
const inNs = (...cmd: string[]): string => execFileSync("ip", ["netns", "exec", ns, ...cmd]).toString();

describe("Linux TAP attach point in CI", () => {
  it.runIf(skip !== null && !!process.env.CI)("has root, /dev/net/tun and iproute2 in CI", () => {
    throw new Error(`CI must run the TAP test: ${skip}`);
  });
});

describe.skipIf(skip !== null)(`Linux TAP attach point (${skip ?? "root, /dev/net/tun"})`, () => {
  it("puts the kernel's stack on a vnet guest's wire: ARP, ping and UDP both ways", async () => {
    // The addon may have been built just now by skipReason(); a fresh check loads it.
    const why = tapUnavailableReason();
    if (why !== null) {
      // CI installs the compiler and must build the addon (npm ci runs attach/native/build.mjs).
      if (process.env.CI) throw new Error(`the TAP addon did not build in CI: ${why}`);
      expect(() => TapAttach.open("x", "vtap0")).toThrow(TapError);
      return;
    }
    execFileSync("ip", ["netns", "add", ns]);
    const sim = new Simulator({ seed: 5 });
    const driver = new RealtimeDriver(sim);
    let tap: TapAttach | null = null;
    try {
      tap = TapAttach.open("kernel.vtap0", "vtap0", { netns: ns, log: () => {} });
      expect(tap.ifname).toBe("vtap0");
      expect(tap.carrier).toBe(true);
      // The device exists in the test's namespace, not in ours.
      expect(inNs("ip", "link", "show", "vtap0")).toContain("vtap0");
      expect(spawnSync("ip", ["link", "show", "vtap0"]).status).not.toBe(0);
      inNs("sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
      inNs("ip", "addr", "add", "10.9.0.1/24", "dev", "vtap0");
      inNs("ip", "link", "set", "vtap0", "up");

      // vnet's side: a guest 10.9.0.2/24 whose NIC's wire is the TAP.
      const vm = new Guest(sim, "vm");
      const gn = vm.addNic("eth0");
      vm.configure(gn, { address: "10.9.0.2/24" });
      const wire = new Port(sim, "wire");
      connect(sim, gn.port, wire);
      const ap = tap;
      const p = plug(ap, driver, (f) => {
        wire.send(f);
      });
      wire.onReceive(p.toPeer);
      const sink = vm.udpSink(9);
      driver.start();

      let ping: { onDone(h: (r: PingResult) => void): void } | null = null;
      driver.inject(() => {
        ping = vm.ping("10.9.0.1", { count: 3, interval: ms(50) });
      }, undefined);
      const r = await new Promise<PingResult>((resolve) => ping?.onDone(resolve));
      expect(r.received).toBe(3);
      // The kernel learned the guest's MAC from its ARP request.
      expect(inNs("ip", "neigh", "show", "10.9.0.2")).toContain(formatMac(gn.nic.mac));
      // The kernel sends a datagram; the guest's socket gets it.
      inNs("bash", "-c", "echo hello > /dev/udp/10.9.0.2/9");
      await waitUntil(
        () => sink.received >= 1,
        3000,
        () => "the kernel's datagram",
      );
      expect(sink.bytes).toBe(6);
      expect(ap.counters.rxFrames).toBeGreaterThanOrEqual(4); // ARP reply + 3 echo replies (+ the datagram)
      expect(ap.counters.txFrames).toBeGreaterThanOrEqual(4);
    } finally {
      driver.stop();
      await tap?.close();
      execFileSync("ip", ["netns", "del", ns]);
    }
  });
});

describe("TAP attach point without the device", () => {
  it("refuses an interface name longer than 15 bytes, or says why TAPs are unavailable", () => {
    const why = tapUnavailableReason();
    if (why === null) expect(() => TapAttach.open("x", "a-very-long-name-0")).toThrow("longer than 15 bytes");
    else expect(() => TapAttach.open("x", "vtap0")).toThrow(why);
  });
});
