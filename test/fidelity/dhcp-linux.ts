/**
 * The Linux side of the DHCP differential test: dnsmasq 2.90 in a network namespace of the test's own.
 *
 * Namespace `srv` holds `virbr0` (192.168.122.1/24, libvirt's bridge address) running dnsmasq with
 * libvirt's options (dhcp-plan.ts); its veth peer `vm0` in namespace `cli` is the wire where client
 * frames are injected (tcpreplay) and where what dnsmasq sends is captured (`tcpdump -Q in`). `vm0` has
 * no address and IPv6 is off, so nothing on the client side ever answers (an ARP for a client stays
 * unanswered, as for a VM that has not configured its address yet).
 *
 * dnsmasq is restarted with an empty lease file for every scenario (`start()` / `stop()`); the
 * namespaces live for the whole test file (`DnsmasqLab.create()`, `destroy()` in a `finally`).
 * Test-only code: it spawns processes and waits in wall time.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Capture } from "../netns/netns.js";
import { NetnsLab, netnsSupport } from "../netns/netns.js";
import { type DhcpRig, dnsmasqArgs, isDhcpReply, SERVER_IF, SERVER_IP, SERVER_MAC } from "./dhcp-plan.js";

/** Whether this machine can run the dnsmasq oracle: the netns lab's needs, plus dnsmasq. */
export function dnsmasqSupport(): { ok: true } | { ok: false; reason: string } {
  const base = netnsSupport();
  if (!base.ok) return base;
  try {
    execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore", timeout: 5000 });
  } catch {
    return { ok: false, reason: "dnsmasq missing (apt-get install dnsmasq-base)" };
  }
  return { ok: true };
}

/** The dnsmasq version line (`Dnsmasq version 2.90 …`), for the oracle's name. */
export function dnsmasqVersion(): string {
  const out = execFileSync("dnsmasq", ["--version"], { encoding: "utf8", timeout: 5000 });
  const m = /Dnsmasq version (\S+)/.exec(out);
  return m ? m[1] : "unknown";
}

/** Longest wait for an expected reply (dnsmasq pings a new address for up to 3 s before offering it). */
const REPLY_WAIT_MS = 8000;
/** Settle time after the expected replies (or instead of them) for frames nobody expected. */
const SETTLE_MS = 400;

/** Frames of a pcap file that tcpdump is still writing: only complete records. */
function readPcapFrames(file: string): Uint8Array[] {
  if (!existsSync(file)) return [];
  const b = readFileSync(file);
  if (b.byteLength < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= b.byteLength) {
    const incl = u32(off + 8);
    if (off + 16 + incl > b.byteLength) break;
    out.push(new Uint8Array(b.subarray(off + 16, off + 16 + incl)));
    off += 16 + incl;
  }
  return out;
}

export class DnsmasqLab {
  readonly #lab: NetnsLab;
  readonly srv: string;
  readonly cli: string;
  #capture: Capture | null = null;
  #seen = 0;
  #dnsmasq: ChildProcess | null = null;
  #log = "";
  #runs = 0;

  private constructor(lab: NetnsLab) {
    this.#lab = lab;
    this.srv = lab.addNamespace("srv");
    this.cli = lab.addNamespace("cli");
    lab.addVeth(this.srv, SERVER_IF, this.cli, "vm0", { a: SERVER_MAC, b: "02:00:00:00:00:fe" });
    lab.exec(this.srv, ["ip", "addr", "add", `${SERVER_IP}/24`, "dev", SERVER_IF]);
  }

  static create(): DnsmasqLab {
    return new DnsmasqLab(NetnsLab.create());
  }

  /** dnsmasq's log of the current run (stderr), for diagnostics. */
  get log(): string {
    return this.#log;
  }

  /** Starts a capture on the client end and dnsmasq with an empty lease file; waits until it serves. */
  async start(): Promise<void> {
    await this.stop();
    if (!this.#capture) {
      this.#capture = await this.#lab.startCapture(this.cli, "vm0", "in");
      // Link-up chatter (none is expected with IPv6 off) stays out of the first step.
      await sleep(300);
    }
    this.#seen = readPcapFrames(this.#capture.file).length;
    const leaseFile = join(this.#lab.dir, `dnsmasq-${this.#runs++}.leases`);
    rmSync(leaseFile, { force: true });
    this.#log = "";
    const child = spawn("ip", ["netns", "exec", this.srv, "dnsmasq", ...dnsmasqArgs(leaseFile)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#dnsmasq = child;
    const ready = new Promise<boolean>((resolve) => {
      const onData = (d: Buffer): void => {
        this.#log += d.toString("utf8");
        if (/DHCP, IP range/.test(this.#log)) resolve(true);
      };
      child.stderr?.on("data", onData);
      child.stdout?.on("data", onData);
      child.once("exit", () => resolve(false));
      child.once("error", () => resolve(false));
    });
    const ok = await Promise.race([ready, sleep(5000).then(() => false)]);
    if (!ok) {
      await this.stop();
      throw new Error(`dnsmasq did not start: ${this.#log.trim()}`);
    }
  }

  /** Stops dnsmasq (SIGTERM, then SIGKILL), waiting for it to exit. */
  async stop(): Promise<void> {
    const child = this.#dnsmasq;
    this.#dnsmasq = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
    if (!done) {
      child.kill("SIGKILL");
      await Promise.race([exited, sleep(2000)]);
    }
  }

  /** The rig of the current dnsmasq run. */
  rig(): DhcpRig {
    return {
      send: async (frame, replies) => {
        const cap = this.#capture;
        if (!cap) throw new Error("DnsmasqLab: start() first");
        this.#lab.inject(this.cli, "vm0", [frame]);
        const deadline = Date.now() + (replies > 0 ? REPLY_WAIT_MS : 0);
        let frames = readPcapFrames(cap.file).slice(this.#seen);
        while (frames.filter(isDhcpReply).length < replies && Date.now() < deadline) {
          await sleep(50);
          frames = readPcapFrames(cap.file).slice(this.#seen);
        }
        await sleep(SETTLE_MS);
        frames = readPcapFrames(cap.file).slice(this.#seen);
        this.#seen += frames.length;
        return { dhcp: frames.filter(isDhcpReply), other: frames.filter((f) => !isDhcpReply(f)) };
      },
    };
  }

  async destroy(): Promise<void> {
    await this.stop();
    await this.#capture?.kill();
    await this.#lab.destroy();
  }
}
