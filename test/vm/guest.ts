/**
 * One QEMU guest of the end-to-end test: the cloud kernel and the test initramfs under `-accel tcg`,
 * its serial console on QEMU's stdio (read line by line, written to a log file; the test writes to it
 * to release the guest), its NIC on a `vnet serve` attach point through QEMU's fd backend
 * (`-netdev stream,addr.type=fd,addr.str=3`, REAL-VMS.md).
 *
 * The fd: this process connects to the attach point's unix socket first (so the attach point has its
 * peer before QEMU exists: no start-up race, QEMU never opens a socket by name), hands that connected
 * socket to QEMU as its fd 3, and closes its own copy (close, never shutdown: the socket is shared).
 * Every guest has a hard timeout after which it is killed (SIGKILL); `kill()` is for `finally`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createConnection, Socket } from "node:net";
import { qemuNetdevId, qemuNicArgs } from "../../attach/index.js";

export interface GuestOptions {
  /** The guest's name (vm1): console log name and `vnet_name`. */
  readonly name: string;
  readonly qemu: string;
  readonly kernel: string;
  readonly initrd: string;
  /** Kernel command-line `key=value` words for /init (values without spaces). */
  readonly params: Readonly<Record<string, string>>;
  /** The served NIC: its attach point's unix socket, edge name and MAC. */
  readonly socket: string;
  readonly edge: string;
  readonly mac: string;
  /** Kill the guest after this many ms of wall time. */
  readonly timeoutMs: number;
  /** Where the whole serial console goes. */
  readonly consoleLog: string;
}

/** The QEMU command line for a guest whose NIC is on fd 3. */
export function qemuArgs(o: Omit<GuestOptions, "qemu" | "socket" | "timeoutMs" | "consoleLog">): string[] {
  const params = Object.entries(o.params).map(([k, v]) => {
    if (/[\s"]/.test(v) || v === "") throw new Error(`kernel parameter ${k}: no spaces or quotes: "${v}"`);
    return `${k}=${v}`;
  });
  return [
    ...["-accel", "tcg", "-nodefaults", "-display", "none", "-no-reboot", "-m", "192"],
    ...["-serial", "stdio", "-monitor", "none"],
    ...["-kernel", o.kernel, "-initrd", o.initrd],
    "-append",
    ["console=ttyS0", "quiet", "panic=-1", "ipv6.disable=1", ...params].join(" "),
    ...qemuNicArgs(qemuNetdevId(o.edge), { kind: "fd", fd: 3 }, o.mac),
  ];
}

export class Guest {
  /** Every console line (CR stripped). */
  readonly lines: string[] = [];
  /** The `VNET …` lines, without the prefix. */
  readonly marks: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = "";
  #partial = "";
  #killedForTimeout = false;
  #waiters: { re: RegExp; resolve: (m: string) => void }[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #log: WriteStream;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    consoleLog: string,
    timeoutMs: number,
  ) {
    this.#log = createWriteStream(consoleLog);
    child.stdout?.on("data", (c: Buffer) => this.#data(c.toString("latin1")));
    child.stderr?.on("data", (c: Buffer) => {
      this.#stderr += c.toString("utf8");
    });
    child.stdin?.on("error", () => {});
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        clearTimeout(this.#timer);
        if (this.#partial !== "") this.#line(this.#partial);
        this.#partial = "";
        this.#log.end();
        for (const w of this.#waiters) w.resolve("");
        this.#waiters = [];
        resolve({ code, signal });
      });
    });
    this.#timer = setTimeout(() => {
      this.#killedForTimeout = true;
      this.kill();
    }, timeoutMs);
  }

  /** Connects to the attach point, then starts QEMU with that socket as its fd 3. */
  static async launch(o: GuestOptions): Promise<Guest> {
    const sock: Socket = createConnection(o.socket);
    // Paused before it connects: this process never reads from the socket it hands over.
    sock.pause();
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.once("connect", () => {
        sock.off("error", reject);
        resolve();
      });
    });
    let child: ChildProcess;
    try {
      child = spawn(o.qemu, qemuArgs(o), { stdio: ["pipe", "pipe", "pipe", sock] });
    } finally {
      sock.destroy();
    }
    const g = new Guest(o.name, child, o.consoleLog, o.timeoutMs);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    return g;
  }

  /**
   * Starts QEMU with `args` as given and `nicFds` extra stdio entries, fds 3, 4, … (Node makes each a
   * unix socket pair, which QEMU's `-netdev stream,addr.type=fd,addr.str=N` takes as a connected
   * stream): no socket file at all. Returns the guest and this process's end of each pair, in fd order.
   * Used by the VLAN oracle guest (vlan.test.ts), whose NICs are the test's own, not attach points.
   */
  static async spawnWithNics(o: {
    readonly name: string;
    readonly qemu: string;
    readonly args: readonly string[];
    readonly nicFds: number;
    readonly timeoutMs: number;
    readonly consoleLog: string;
  }): Promise<{ readonly guest: Guest; readonly nics: Socket[] }> {
    const stdio: "pipe"[] = Array.from({ length: 3 + o.nicFds }, () => "pipe");
    const child = spawn(o.qemu, [...o.args], { stdio });
    const g = new Guest(o.name, child, o.consoleLog, o.timeoutMs);
    const nics: Socket[] = [];
    for (let i = 0; i < o.nicFds; i++) {
      const end = child.stdio[3 + i];
      if (!(end instanceof Socket)) {
        g.kill();
        throw new Error(`${o.name}: no socket for QEMU's fd ${3 + i}`);
      }
      nics.push(end);
    }
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    return { guest: g, nics };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get killedForTimeout(): boolean {
    return this.#killedForTimeout;
  }

  /** QEMU's own stderr (empty when all went well). */
  get stderr(): string {
    return this.#stderr;
  }

  /** The first mark matching `re` (resolves at once if already seen; "" if the guest exits first). */
  waitMark(re: RegExp): Promise<string> {
    const seen = this.marks.find((m) => re.test(m));
    if (seen !== undefined) return Promise.resolve(seen);
    if (!this.running) return Promise.resolve("");
    return new Promise((resolve) => this.#waiters.push({ re, resolve }));
  }

  /** The first mark that starts with `prefix` (undefined when none). */
  mark(prefix: string): string | undefined {
    return this.marks.find((m) => m.startsWith(prefix));
  }

  /** Writes a line to the guest's serial console. */
  say(line: string): void {
    if (this.running) this.child.stdin?.write(`${line}\n`);
  }

  /** SIGKILL if still running (our own child, by its pid). */
  kill(): void {
    if (this.running) this.child.kill("SIGKILL");
  }

  /** The console's last lines and QEMU's stderr, for a failure message. */
  tail(n = 25): string {
    const err = this.#stderr.trim();
    return [
      `--- ${this.name}: last ${n} console lines`,
      ...this.lines.slice(-n),
      ...(err ? [`--- ${this.name}: qemu stderr`, err] : []),
    ].join("\n");
  }

  #data(s: string): void {
    this.#log.write(s);
    const parts = (this.#partial + s).split("\n");
    this.#partial = parts.pop() ?? "";
    for (const p of parts) this.#line(p);
  }

  #line(raw: string): void {
    const line = raw.replace(/\r/g, "");
    this.lines.push(line);
    // The kernel may print on the same console line; a mark starts wherever "VNET " does.
    const at = line.indexOf("VNET ");
    if (at < 0) return;
    const mark = line.slice(at + 5);
    this.marks.push(mark);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.re.test(mark)) return true;
      w.resolve(mark);
      return false;
    });
  }
}
