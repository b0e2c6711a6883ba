/**
 * The oracle side of the VLAN scenarios: one QEMU guest (the Debian cloud kernel, Linux 6.1, under
 * `-accel tcg`) whose only job is to be a Linux bridge with `vlan_filtering 1` — and, on a fifth NIC, a
 * host with 802.1Q sub-interfaces. Its virtio NICs eth0..eth3 are the bridge's ports, eth4 the host's
 * NIC; each NIC's backend is one end of a unix socket pair (QEMU
 * `-netdev stream,addr.type=fd,addr.str=3…7`), this process holds the other end and plays the host on
 * that port: it writes frames in (4-byte big-endian length framing, attach/framing.ts) and collects what
 * the bridge sends out. The guest's /init (scripts/vm/init-bridge.sh) takes its configuration as
 * commands on the serial console (`br ID`, `bridge vlan add …`, `sync ID`), so one boot serves every
 * scenario: br0 is made anew (empty FDB) for each one.
 *
 * Step pacing (wall clock; bounded): after each frame the test writes `sync N` to the console and
 * waits for `VNET sync N` (the guest's shell reads the console only after its kernel has handled the
 * NIC interrupt that came first), then until the port outputs hold as many frames as vnet produced for
 * the step and nothing more arrives for QUIET_MS (STEP_MAX_MS at most). Extra or missing frames are
 * therefore seen, never waited for forever.
 */
import { mkdirSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { encodeStreamFrame, maxFrameLenFor, StreamDecoder } from "../../attach/framing.js";
import { qemuNicArgs } from "../../attach/qemu.js";
import { writeInitramfs } from "../../scripts/vm/initramfs.js";
import { Guest } from "./guest.js";
import type { VmTools } from "./tools.js";
import {
  HOST_NIC,
  isFrameStep,
  linuxConfigCommand,
  linuxVlanCommands,
  type SubifScenario,
  VLAN_PORTS,
  type VlanScenario,
  type VlanStep,
} from "./vlan-scenarios.js";
import type { PortFrame, VlanOutputs } from "./vlan-vnet.js";

/** Wall-clock bounds (ms). */
const BOOT_MS = 60_000;
const CONFIG_MS = 20_000;
const SYNC_MS = 10_000;
const QUIET_MS = 120;
const STEP_MAX_MS = 5_000;
/** Before each scenario: wait this long without a frame (boot or configuration chatter: counted as stray). */
const DRAIN_MS = 300;

/** The guest's NICs: the bridge's four ports, then the sub-interface host's eth4. */
export const VLAN_NICS = HOST_NIC;

/** The guest's NIC MACs (never a test host's 02:…); eth4's is vlan-scenarios.ts's HOST_MAC. */
const nicMac = (i: number): string => `52:54:00:76:1a:${(i + 1).toString(16).padStart(2, "0")}`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class VlanOracle {
  /** Frames each NIC delivered since the current scenario started (with the step being run). */
  #out: VlanOutputs = [];
  #step = -1;
  #lastFrameAt = 0;
  #syncs = 0;
  /** Frames that arrived between scenarios (boot chatter): counted, not compared. */
  stray = 0;

  private constructor(
    readonly guest: Guest,
    readonly nics: readonly Socket[],
  ) {
    nics.forEach((sock, i) => {
      const dec = new StreamDecoder(
        (frame) => {
          this.#lastFrameAt = Date.now();
          const port = this.#out[i];
          if (port === undefined) this.stray++;
          else port.push({ step: this.#step, frame: frame.slice() });
        },
        { maxFrameLen: maxFrameLenFor(1500) },
      );
      sock.on("data", (chunk: Buffer) => {
        dec.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      sock.on("error", () => {});
    });
  }

  /**
   * Builds the bridge-role initramfs in `work`, boots the guest and waits for `VNET ready`. Throws with
   * the console's tail when the guest does not come up.
   */
  static async boot(tools: VmTools, work: string, timeoutMs: number): Promise<VlanOracle> {
    mkdirSync(work, { recursive: true });
    const initrd = join(work, "initramfs-bridge.cpio");
    writeInitramfs(tools.cache, initrd, { role: "bridge" });
    const args = [
      ...["-accel", "tcg", "-nodefaults", "-display", "none", "-no-reboot", "-m", "192"],
      ...["-serial", "stdio", "-monitor", "none"],
      ...["-kernel", tools.kernel, "-initrd", initrd],
      "-append",
      `console=ttyS0 quiet panic=-1 ipv6.disable=1 vnet_nics=${VLAN_NICS} vnet_ports=${VLAN_PORTS}`,
      ...Array.from({ length: VLAN_NICS }, (_, i) =>
        qemuNicArgs(`p${i + 1}`, { kind: "fd", fd: 3 + i }, nicMac(i)),
      ).flat(),
    ];
    const { guest, nics } = await Guest.spawnWithNics({
      name: "vlan-oracle",
      qemu: tools.qemu,
      args,
      nicFds: VLAN_NICS,
      timeoutMs,
      consoleLog: join(work, "vlan-oracle.log"),
    });
    const o = new VlanOracle(guest, nics);
    const ready = await Promise.race([guest.waitMark(/^ready\b/), sleep(BOOT_MS).then(() => "")]);
    if (!ready) {
      guest.kill();
      throw new Error(`the VLAN oracle guest did not come up\n${guest.tail()}`);
    }
    o.#checkErrors("boot");
    return o;
  }

  /** `VNET error …` marks so far (module loads, iproute2 commands that failed). */
  get errors(): string[] {
    return this.guest.marks.filter((m) => m.startsWith("error"));
  }

  #checkErrors(when: string): void {
    const e = this.errors;
    if (e.length > 0) throw new Error(`VLAN oracle guest, ${when}: ${e.join("; ")}\n${this.guest.tail()}`);
  }

  async #sync(timeoutMs: number): Promise<void> {
    const id = ++this.#syncs;
    this.guest.say(`sync ${id}`);
    const re = new RegExp(`^sync ${id}$`);
    const got = await Promise.race([this.guest.waitMark(re), sleep(timeoutMs).then(() => "")]);
    if (!got) throw new Error(`VLAN oracle guest: no answer to sync ${id}\n${this.guest.tail()}`);
  }

  /** Remakes br0 with the scenario's protocol and port membership. */
  async configure(sc: VlanScenario, id: number): Promise<void> {
    // The bridge's own options (ip-link-bridge): 802.1ad, or the default 802.1Q.
    const proto =
      (sc.protocol === 0x88a8 ? " vlan_protocol 802.1ad" : "") +
      (sc.defaultPvid ? " vlan_default_pvid 1" : "");
    this.guest.say(`br ${id}${proto}`);
    sc.ports.forEach((v, i) => {
      for (const cmd of linuxVlanCommands(`eth${i}`, v)) this.guest.say(cmd);
    });
    const made = await Promise.race([
      this.guest.waitMark(new RegExp(`^br ${id}$`)),
      sleep(CONFIG_MS).then(() => ""),
    ]);
    if (!made) throw new Error(`VLAN oracle guest: br0 for "${sc.name}" not made\n${this.guest.tail()}`);
    await this.#sync(CONFIG_MS);
    this.#checkErrors(`configuring "${sc.name}"`);
  }

  /**
   * Gives eth4 the scenario's 802.1Q sub-interfaces (`eth4.VID`, one address each, up); once per boot.
   */
  async configureHost(sc: SubifScenario): Promise<void> {
    for (const s of sc.subifs) {
      this.guest.say(`ip link add link eth4 name eth4.${s.vid} type vlan id ${s.vid}`);
      this.guest.say(`ip addr add ${s.addr} dev eth4.${s.vid}`);
      this.guest.say(`ip link set eth4.${s.vid} up`);
    }
    await this.#sync(CONFIG_MS);
    this.#checkErrors(`configuring "${sc.name}"`);
  }

  /**
   * Runs the scenario's steps (after `configure`): per step, the frame into its port, a console sync,
   * then until `expected[k]` frames came out (or STEP_MAX_MS) and QUIET_MS passed without one.
   */
  async run(sc: { readonly steps: readonly VlanStep[] }, expected: readonly number[]): Promise<VlanOutputs> {
    // Whatever arrived since the last scenario (boot chatter, nothing on a quiet bridge) is not compared.
    await this.#quiet(DRAIN_MS, DRAIN_MS * 4);
    this.#out = Array.from({ length: VLAN_NICS }, (): PortFrame[] => []);
    const count = (): number => this.#out.reduce((n, p) => n + p.length, 0);
    for (let k = 0; k < sc.steps.length; k++) {
      const st = sc.steps[k];
      this.#step = k;
      const before = count();
      if (isFrameStep(st)) this.nics[st.from - 1].write(encodeStreamFrame(st.frame));
      else this.guest.say(linuxConfigCommand(st));
      await this.#sync(SYNC_MS);
      const until = Date.now() + STEP_MAX_MS;
      while (count() - before < expected[k] && Date.now() < until) await sleep(10);
      await this.#quiet(QUIET_MS, Math.max(QUIET_MS, until - Date.now()));
    }
    const out = this.#out;
    this.#out = [];
    this.#step = -1;
    // A run-time command (config step) the guest refused.
    this.#checkErrors("running the steps");
    return out;
  }

  /** Waits until no frame has arrived for `quietMs` (at most `maxMs`). */
  async #quiet(quietMs: number, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    this.#lastFrameAt = Math.max(this.#lastFrameAt, Date.now());
    while (Date.now() < until) {
      const idle = Date.now() - this.#lastFrameAt;
      if (idle >= quietMs) return;
      await sleep(Math.min(quietMs - idle, until - Date.now()) + 1);
    }
  }

  /** Powers the guest off (`off` on the console), SIGKILL after 10 s; safe to call twice. */
  async close(): Promise<void> {
    for (const s of this.nics) s.destroy();
    if (this.guest.running) {
      this.guest.say("off");
      await Promise.race([this.guest.exited, sleep(10_000)]);
    }
    this.guest.kill();
  }
}
