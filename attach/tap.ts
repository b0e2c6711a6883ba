/**
 * A Linux TAP device as an attach point: the kernel's own stack (or anything bridged to the TAP in its
 * namespace) is the peer. Node has no ioctl, so TUNSETIFF (IFF_TAP | IFF_NO_PI) is done by a small N-API
 * addon of the project's own (attach/native/tap.c, built by `node attach/native/build.mjs` with npm's
 * node-gyp, offline); the addon also polls the non-blocking fd on the main loop, so no thread is held per
 * device. One read() is one frame, one write() sends one (REAL-VMS.md).
 *
 * The addon is loaded only when a TAP is opened: where it could not be built, everything else in vnet
 * works and `TapAttach.open` says why in one line. Create TAP devices inside a network namespace you own
 * (`netns`: the device is created there; the process itself never leaves its own namespace).
 *
 * Carrier is up from open to close. A write the kernel refuses is a counted drop: the interface is down
 * (EIO, "carrier-down"), its queue is full (EAGAIN, "tx-queue-full"), anything else ("send-error").
 */
import { createRequire } from "node:module";
import { type AttachOptions, AttachPoint } from "./attach-point.js";
import { datagramProblem } from "./framing.js";

interface TapAddon {
  open(
    name: string,
    netns: string | null,
    onFrames: (frames: Uint8Array[]) => void,
  ): { readonly handle: object; readonly name: string };
  write(handle: object, frame: Uint8Array): number;
  /** SIOCSIFHWADDR on the tun fd; 0 or an errno (absent in an addon built before it existed). */
  setMac?(handle: object, mac: Uint8Array): number;
  pause?(handle: object): void;
  resume?(handle: object): void;
  close(handle: object): void;
}

/** Linux errno values the addon's write returns. */
const EIO = 5;
const EAGAIN = 11;

let addon: TapAddon | null = null;
let loadError: string | null = null;

/** The addon, or null (see `tapUnavailableReason`). Looked for next to the sources and from dist/. */
export function loadTapAddon(): TapAddon | null {
  if (addon !== null || loadError !== null) return addon;
  const require = createRequire(import.meta.url);
  const tries = ["./native/build/Release/vnet_tap.node", "../../attach/native/build/Release/vnet_tap.node"];
  const errors: string[] = [];
  for (const t of tries) {
    try {
      addon = require(t) as TapAddon;
      return addon;
    } catch (e) {
      errors.push((e as Error).message.split("\n")[0]);
    }
  }
  loadError =
    process.platform !== "linux"
      ? "Linux TAP devices exist only on Linux"
      : `the TAP addon is not built (node attach/native/build.mjs builds it): ${errors[0] ?? "not found"}`;
  return null;
}

/** Why TAP attach points cannot be used here, or null when they can. */
export function tapUnavailableReason(): string | null {
  loadTapAddon();
  return loadError;
}

export class TapError extends Error {
  override readonly name = "TapError";
}

export interface TapAttachOptions extends AttachOptions {
  /** A network namespace to create the device in: a name (`/var/run/netns/NAME`, as `ip netns add`) or a path. */
  readonly netns?: string;
}

export class TapAttach extends AttachPoint {
  readonly #addon: TapAddon;
  readonly #handle: object;
  readonly #ifname: string;
  readonly #netns: string | null;
  #closed = false;

  private constructor(
    name: string,
    a: TapAddon,
    h: { handle: object; name: string },
    netns: string | null,
    opts: AttachOptions,
  ) {
    super(name, "tap", opts);
    this.#addon = a;
    this.#handle = h.handle;
    this.#ifname = h.name;
    this.#netns = netns;
    this.setState("connected");
  }

  /**
   * Creates (or attaches to) the TAP device `ifname` (at most 15 bytes; `vtap%d` lets the kernel number
   * it) and returns its attach point. TapError when the addon is missing or the kernel refuses.
   */
  static open(name: string, ifname: string, opts: TapAttachOptions = {}): TapAttach {
    const a = loadTapAddon();
    if (a === null) throw new TapError(`${name}: ${loadError}`);
    if (Buffer.byteLength(ifname) > 15)
      throw new TapError(`${name}: interface name ${ifname} is longer than 15 bytes`);
    const ns =
      opts.netns === undefined
        ? null
        : opts.netns.includes("/")
          ? opts.netns
          : `/var/run/netns/${opts.netns}`;
    let ap: TapAttach | null = null;
    let h: { handle: object; name: string };
    try {
      h = a.open(ifname, ns, (frames) => {
        if (ap !== null) ap.#frames(frames);
      });
    } catch (e) {
      throw new TapError(
        `${name}: cannot open TAP ${ifname}${ns ? ` in ${ns}` : ""}: ${(e as Error).message}`,
      );
    }
    ap = new TapAttach(name, a, h, ns, opts);
    return ap;
  }

  /** `tap:vtap0` (and the namespace). */
  get address(): string {
    return `tap:${this.#ifname}${this.#netns ? ` (netns ${this.#netns})` : ""}`;
  }

  /** The kernel's name for the device. */
  get ifname(): string {
    return this.#ifname;
  }

  /**
   * Gives the device the MAC `mac` (6 bytes), as QEMU's `mac=` does for a guest: the kernel's stack then
   * answers with the address the topology (DHCP reservations, the NIC's filter) knows. TapError if refused.
   */
  setMac(mac: Uint8Array): void {
    const set = this.#addon.setMac;
    if (set === undefined)
      throw new TapError(
        `${this.name}: the TAP addon is too old to set a MAC (rebuild: node attach/native/build.mjs)`,
      );
    const err = set(this.#handle, mac);
    if (err !== 0) throw new TapError(`${this.name}: cannot set the MAC of ${this.address}: errno ${err}`);
  }

  /** Stops reading the device (the kernel queues, then drops, as for any slow reader of a TAP). */
  override pauseInput(): void {
    if (!this.#closed) this.#addon.pause?.(this.#handle);
  }

  override resumeInput(): void {
    if (!this.#closed) this.#addon.resume?.(this.#handle);
  }

  #frames(frames: Uint8Array[]): void {
    if (this.#closed) return;
    for (const f of frames) {
      const problem = datagramProblem(f, this.maxFrameLen);
      if (problem !== null) this.counters.dropRx(problem);
      else this.received(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    }
  }

  send(frame: Uint8Array): boolean {
    if (this.#closed) {
      this.counters.dropTx("carrier-down");
      return false;
    }
    const err = this.#addon.write(this.#handle, frame);
    if (err !== 0) {
      this.counters.dropTx(err === EIO ? "carrier-down" : err === EAGAIN ? "tx-queue-full" : "send-error");
      return false;
    }
    this.counters.txFrames++;
    this.counters.txBytes += frame.byteLength;
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.close(this.#handle);
    this.setState("closed");
  }
}
