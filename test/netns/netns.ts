/**
 * A network-namespace lab for differential tests against the Linux kernel (see
 * ../../../shared/REAL-VMS.md, "The Linux kernel as an oracle").
 *
 * Everything it creates lives in namespaces named `vnett-<pid>-<n>-<short>`; nothing touches the root
 * namespace's interfaces or routes. `destroy()` stops the captures and deletes the namespaces (call it
 * in a `finally`); `cleanupLeftovers()` deletes namespaces left by processes that died; an `exit` hook
 * deletes this process's namespaces if a test forgot. Every command has a time limit.
 *
 * Test-only code: it spawns processes and reads the wall clock, which the deterministic core never does.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openCapture } from "../../captures/reader.js";
import { LinkType } from "../../captures/record.js";
import { PcapWriter } from "../../captures/writer.js";

/** Prefix of every namespace this harness makes; the pid after it tells whose it is. */
export const NETNS_PREFIX = "vnett-";

/** Commands the harness runs (Debian packages iproute2, tcpdump, tcpreplay, ethtool). */
export const NETNS_TOOLS = ["ip", "bridge", "tcpdump", "tcpreplay", "ethtool"] as const;

/** Time limit for one command (ms). */
const CMD_TIMEOUT = 10_000;

export type NetnsSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function hasCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore", timeout: CMD_TIMEOUT });
    return true;
  } catch {
    return false;
  }
}

let supportCache: NetnsSupport | undefined;

/**
 * Whether this machine can run the lab: root, the tools, and a namespace can be made (tried once with
 * a throw-away namespace). Cached.
 */
export function netnsSupport(): NetnsSupport {
  if (supportCache) return supportCache;
  supportCache = probeSupport();
  return supportCache;
}

function probeSupport(): NetnsSupport {
  if (process.platform !== "linux") return { ok: false, reason: "network namespaces need Linux" };
  if (process.getuid?.() !== 0) return { ok: false, reason: "network namespaces need root" };
  const missing = NETNS_TOOLS.filter((t) => !hasCommand(t));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `missing ${missing.join(", ")} (apt-get install iproute2 tcpdump tcpreplay ethtool)`,
    };
  }
  const probe = `${NETNS_PREFIX}${process.pid}-probe`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe", timeout: CMD_TIMEOUT });
    execFileSync("ip", ["-n", probe, "link", "add", "br0", "type", "bridge"], {
      stdio: "pipe",
      timeout: CMD_TIMEOUT,
    });
  } catch (e) {
    return { ok: false, reason: `cannot create a namespace with a bridge: ${errText(e)}` };
  } finally {
    try {
      execFileSync("ip", ["netns", "del", probe], { stdio: "ignore", timeout: CMD_TIMEOUT });
    } catch {
      // it was never made
    }
  }
  return { ok: true };
}

function errText(e: unknown): string {
  if (e && typeof e === "object" && "stderr" in e) {
    const s = String((e as { stderr: unknown }).stderr ?? "").trim();
    if (s) return s;
  }
  return e instanceof Error ? e.message : String(e);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function listNamespaces(): string[] {
  const out = execFileSync("ip", ["netns", "list"], { encoding: "utf8", timeout: CMD_TIMEOUT });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

function deleteNamespaces(names: readonly string[]): void {
  for (const n of names) {
    try {
      execFileSync("ip", ["netns", "del", n], { stdio: "ignore", timeout: CMD_TIMEOUT });
    } catch {
      // already gone
    }
  }
}

/**
 * Deletes `vnett-<pid>-…` namespaces whose process is gone (left by a crashed or killed run), and
 * with `own` also this process's. Returns the names deleted.
 */
export function cleanupLeftovers(opts: { own?: boolean } = {}): string[] {
  const stale = listNamespaces().filter((n) => {
    const m = /^vnett-(\d+)-/.exec(n);
    if (!m) return false;
    const pid = Number(m[1]);
    return pid === process.pid ? opts.own === true : !pidAlive(pid);
  });
  deleteNamespaces(stale);
  return stale;
}

let exitHookInstalled = false;
const liveLabs = new Set<NetnsLab>();

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const lab of liveLabs) lab.destroySync();
  });
}

/** Linux bridge port switches (`bridge link set dev IF …`). Absent = leave the kernel's default. */
export interface BridgePortFlags {
  readonly learning?: boolean;
  /** Unknown-unicast flooding (Linux `flood`; broadcast and multicast have their own switches). */
  readonly flood?: boolean;
  readonly mcastFlood?: boolean;
  readonly bcastFlood?: boolean;
  readonly hairpin?: boolean;
  readonly isolated?: boolean;
}

export interface BridgeOptions {
  /** FDB ageing time in centiseconds (Linux `ageing_time`; default 30000 = 300 s; 0 = never). */
  readonly ageingTimeCs?: number;
  /** IGMP/MLD snooping (default off here, so multicast floods like broadcast). */
  readonly mcastSnooping?: boolean;
  /** A fixed MAC for the bridge device (so it never collides with test frames). */
  readonly mac?: string;
}

/** A running tcpdump on one interface, writing a pcap file. */
export class Capture {
  #exited: Promise<void>;
  #done = false;
  constructor(
    readonly ns: string,
    readonly ifname: string,
    readonly file: string,
    readonly child: ChildProcess,
  ) {
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  /** Stops tcpdump (SIGINT, then SIGKILL after 3 s), waits for it to exit, and returns the frames. */
  async stop(): Promise<Uint8Array[]> {
    await this.kill();
    const frames: Uint8Array[] = [];
    const r = openCapture(this.file);
    try {
      for (const rec of r) frames.push(rec.data.slice());
    } finally {
      r.close();
    }
    return frames;
  }

  /** @internal Ends tcpdump without reading the file. */
  async kill(): Promise<void> {
    if (this.#done) return this.#exited;
    this.#done = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGINT");
    const killed = await Promise.race([this.#exited.then(() => true), sleep(3000).then(() => false)]);
    if (!killed) {
      this.child.kill("SIGKILL");
      await Promise.race([this.#exited, sleep(2000)]);
    }
  }

  /** @internal */
  killSync(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

let labCounter = 0;

/**
 * One lab: its own namespaces, a temporary directory for pcaps, its captures. Make it with
 * `NetnsLab.create()`, and `await lab.destroy()` in a `finally`.
 */
export class NetnsLab {
  readonly prefix: string;
  readonly dir: string;
  readonly #namespaces: string[] = [];
  readonly #captures: Capture[] = [];
  #injectCount = 0;
  #destroyed = false;

  private constructor() {
    this.prefix = `${NETNS_PREFIX}${process.pid}-${labCounter++}-`;
    this.dir = mkdtempSync(join(tmpdir(), this.prefix));
  }

  /** Deletes leftovers of dead runs, then makes a lab. Throws when `netnsSupport()` is not ok. */
  static create(): NetnsLab {
    const sup = netnsSupport();
    if (!sup.ok) throw new Error(`netns lab unavailable: ${sup.reason}`);
    cleanupLeftovers();
    installExitHook();
    const lab = new NetnsLab();
    liveLabs.add(lab);
    return lab;
  }

  /** Runs a command in the root namespace's tooling (only `ip netns …`/`ip -n NS …` are used). */
  #cmd(argv: readonly string[]): string {
    try {
      return execFileSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: CMD_TIMEOUT,
      });
    } catch (e) {
      throw new Error(`${argv.join(" ")}: ${errText(e)}`);
    }
  }

  /** Runs `argv` inside namespace `ns` (`ip netns exec`), returns its stdout; throws with its stderr. */
  exec(ns: string, argv: readonly string[]): string {
    this.#own(ns);
    return this.#cmd(["ip", "netns", "exec", ns, ...argv]);
  }

  #own(ns: string): void {
    if (!this.#namespaces.includes(ns)) throw new Error(`namespace ${ns} is not this lab's`);
  }

  /**
   * Makes namespace `<prefix><short>` with loopback up, IPv6 off and bridge netfilter off, and
   * returns its full name.
   */
  addNamespace(short: string): string {
    if (this.#destroyed) throw new Error("lab destroyed");
    const ns = `${this.prefix}${short}`;
    this.#cmd(["ip", "netns", "add", ns]);
    this.#namespaces.push(ns);
    this.exec(ns, ["ip", "link", "set", "lo", "up"]);
    this.#sysctl(ns, "net.ipv6.conf.all.disable_ipv6", "1");
    this.#sysctl(ns, "net.ipv6.conf.default.disable_ipv6", "1");
    // Bridge netfilter: per namespace on recent kernels, absent when br_netfilter is not loaded.
    for (const k of ["iptables", "ip6tables", "arptables"]) {
      this.#sysctl(ns, `net.bridge.bridge-nf-call-${k}`, "0", true);
    }
    return ns;
  }

  #sysctl(ns: string, key: string, value: string, optional = false): void {
    try {
      this.exec(ns, ["sysctl", "-q", "-w", `${key}=${value}`]);
    } catch (e) {
      if (!optional) throw e;
    }
  }

  /** Prepares an interface for clean captures: IPv6 off, checksum offload off, up. */
  #prepareIf(ns: string, ifname: string): void {
    this.#sysctl(ns, `net.ipv6.conf.${ifname}.disable_ipv6`, "1", true);
    this.exec(ns, ["ethtool", "-K", ifname, "tx", "off", "rx", "off"]);
    this.exec(ns, ["ip", "link", "set", ifname, "up"]);
  }

  /** A veth pair `ifA` (in `nsA`) ↔ `ifB` (in `nsB`), both up, with optional fixed MACs. */
  addVeth(nsA: string, ifA: string, nsB: string, ifB: string, macs: { a?: string; b?: string } = {}): void {
    this.#own(nsA);
    this.#own(nsB);
    this.#cmd(["ip", "-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB]);
    if (macs.a) this.exec(nsA, ["ip", "link", "set", ifA, "address", macs.a]);
    if (macs.b) this.exec(nsB, ["ip", "link", "set", ifB, "address", macs.b]);
    this.#prepareIf(nsA, ifA);
    this.#prepareIf(nsB, ifB);
  }

  /** A Linux bridge (STP off, as Linux's default), up. */
  addBridge(ns: string, name: string, opts: BridgeOptions = {}): void {
    this.exec(ns, [
      "ip",
      "link",
      "add",
      name,
      "type",
      "bridge",
      "stp_state",
      "0",
      "ageing_time",
      String(opts.ageingTimeCs ?? 30000),
      "mcast_snooping",
      opts.mcastSnooping ? "1" : "0",
    ]);
    if (opts.mac) this.exec(ns, ["ip", "link", "set", name, "address", opts.mac]);
    this.#prepareIf(ns, name);
  }

  /** Enslaves `ifname` to `bridge`, optionally setting port flags. */
  addBridgePort(ns: string, bridge: string, ifname: string, flags: BridgePortFlags = {}): void {
    this.exec(ns, ["ip", "link", "set", ifname, "master", bridge]);
    this.setBridgePort(ns, ifname, flags);
  }

  /** `bridge link set dev IF learning on|off flood on|off …` for the flags given. */
  setBridgePort(ns: string, ifname: string, flags: BridgePortFlags): void {
    const onOff = (b: boolean) => (b ? "on" : "off");
    const args: string[] = [];
    const names: [keyof BridgePortFlags, string][] = [
      ["learning", "learning"],
      ["flood", "flood"],
      ["mcastFlood", "mcast_flood"],
      ["bcastFlood", "bcast_flood"],
      ["hairpin", "hairpin"],
      ["isolated", "isolated"],
    ];
    for (const [k, word] of names) {
      const v = flags[k];
      if (v !== undefined) args.push(word, onOff(v));
    }
    if (args.length > 0) this.exec(ns, ["bridge", "link", "set", "dev", ifname, ...args]);
  }

  /**
   * `bridge fdb add MAC dev IF master static` (+ `sticky`: the entry is not moved when MAC is seen on
   * another port; a plain static entry is, on Linux).
   */
  addStaticFdb(ns: string, ifname: string, mac: string, opts: { sticky?: boolean } = {}): void {
    const extra = opts.sticky ? ["sticky"] : [];
    this.exec(ns, ["bridge", "fdb", "add", mac, "dev", ifname, "master", "static", ...extra]);
  }

  /** `bridge fdb show br BRIDGE` (for diagnostics). */
  fdbShow(ns: string, bridge: string): string {
    return this.exec(ns, ["bridge", "fdb", "show", "br", bridge]);
  }

  /** Waits (≤ timeoutMs) until every listed bridge port is in the forwarding state. */
  async waitForwarding(ns: string, ifnames: readonly string[], timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = this.exec(ns, ["bridge", "link", "show"]);
      const notYet = ifnames.filter((i) => !new RegExp(`\\b${i}\\b[^\\n]*state forwarding`).test(out));
      if (notYet.length === 0) return;
      if (Date.now() > deadline) throw new Error(`bridge ports not forwarding: ${notYet.join(", ")}\n${out}`);
      await sleep(50);
    }
  }

  /**
   * Starts `tcpdump -i IF -w FILE -U --immediate-mode` in `ns` and waits (≤ 5 s) until it prints
   * "listening on". `direction` "in" (default) keeps only frames arriving at IF (`-Q in`): on a host end
   * of a veth, what the bridge sent out of that port.
   */
  async startCapture(ns: string, ifname: string, direction: "in" | "out" | "inout" = "in"): Promise<Capture> {
    this.#own(ns);
    const file = join(this.dir, `${ns.slice(this.prefix.length)}-${ifname}.pcap`);
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "tcpdump",
        "-i",
        ifname,
        "-Q",
        direction,
        "-w",
        file,
        "-U",
        "--immediate-mode",
        "-n",
        "-s",
        "262144",
        "-Z",
        "root",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const cap = new Capture(ns, ifname, file, child);
    this.#captures.push(cap);
    let stderr = "";
    const ready = new Promise<boolean>((resolve) => {
      child.stderr?.setEncoding("utf8");
      child.stderr?.on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("listening on")) resolve(true);
      });
      child.once("exit", () => resolve(false));
      child.once("error", () => resolve(false));
    });
    const ok = await Promise.race([ready, sleep(5000).then(() => false)]);
    if (!ok) {
      await cap.kill();
      throw new Error(`tcpdump on ${ns}/${ifname} did not start: ${stderr.trim()}`);
    }
    return cap;
  }

  /**
   * Sends `frames` out of `ifname` in `ns`, in order: written as a pcap with PcapWriter, replayed with
   * `tcpreplay --topspeed`. Returns when tcpreplay has exited (the frames are in the kernel).
   */
  inject(ns: string, ifname: string, frames: readonly Uint8Array[]): void {
    this.#own(ns);
    const file = join(this.dir, `inject-${this.#injectCount++}.pcap`);
    const w = PcapWriter.toFile(file, { linkType: LinkType.ETHERNET });
    try {
      frames.forEach((data, i) => {
        w.write({ tsSec: 0, tsFrac: i, fracDigits: 6, origLen: data.byteLength, data });
      });
    } finally {
      w.close();
    }
    this.exec(ns, ["tcpreplay", "-q", "--topspeed", "-i", ifname, file]);
  }

  /** Stops all captures, deletes the lab's namespaces and its temporary directory. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    for (const c of this.#captures) await c.kill();
    this.destroySync();
  }

  /** @internal Synchronous teardown (exit hook): kills captures, deletes namespaces and files. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    liveLabs.delete(this);
    for (const c of this.#captures) c.killSync();
    deleteNamespaces(this.#namespaces);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Namespaces made so far (full names). */
  get namespaces(): readonly string[] {
    return this.#namespaces;
  }
}
