/**
 * `vnet vm [TOPO] [--record DIR] [--seed N] [--duration 10m] [--dry-run]`: runs a topology in real time
 * (as `vnet serve`) and launches one QEMU per VM that has a `qemu:` block, each NIC of it on an inherited
 * fd (QEMU `-netdev stream,id=…,addr.type=fd,addr.str=N` with the topology's MAC): no socket file, no
 * port, no start-up race (REAL-VMS.md). What a libvirt user expects from `virsh start` with the network
 * defined next to the domain: the VM's settings live with the VM in the topology file.
 *
 * Each VM's serial console (QEMU `-serial stdio`) and QEMU's own messages are printed line by line
 * prefixed with the VM's name (`vm1 | …`, as docker compose does). vnet stops when every QEMU has
 * exited (a guest powering off), on SIGINT/SIGTERM (the QEMUs get SIGTERM, then SIGKILL after 5 s), or
 * after `--duration`; the session directory is the one `vnet serve` writes (`vnet replay DIR`
 * reproduces every capture), plus `vms.json` (each QEMU's command line and exit).
 *
 * Checked before anything starts, one line each: the QEMU program (PATH or a path), kernel, initrd and
 * disk files (paths relative to the topology file's folder). A QEMU that exits with an error makes the
 * command's exit code 1.
 */
import type { ChildProcess } from "node:child_process";
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import {
  type AttachLog,
  qemuNetdevId,
  qemuNicArgs,
  qemuOptValue,
  shellLine,
  spawnWithStreams,
} from "../attach/index.js";
import { Simulator } from "../sim/index.js";
import {
  buildTopology,
  formatDuration,
  type QemuSpec,
  TopologyError,
  type TopologySpec,
} from "../topology/index.js";
import { formatMac } from "../wire/addr.js";
import { FileError, UsageError } from "./errors.js";
import { durationOf, seedOf, type TopologyInput, topologyInput } from "./run.js";
import {
  type OpenedSlot,
  printServeEnd,
  quietVms,
  type ServeIo,
  type ServeResult,
  type SlotInfo,
  signals,
  startServe,
  trafficItem,
} from "./serve.js";

/** The QEMU program when `qemu.binary` is not given. */
export const DEFAULT_QEMU = "qemu-system-x86_64";
/** QEMU `-m` when `qemu.memory` is not given. */
export const DEFAULT_MEMORY = "256M";
/** The VMs file in a `vnet vm` session directory. */
export const VMS_FILE = "vms.json";
/** ms between SIGTERM and SIGKILL when vnet stops the QEMUs. */
const KILL_GRACE_MS = 5000;

export interface VmArgs {
  readonly file?: string;
  readonly topo?: string;
  /** The session directory (default `vnet-NAME`). */
  readonly record?: string;
  readonly seed?: string;
  /** Stop after this much real time (default: when every QEMU has exited, or SIGINT/SIGTERM). */
  readonly duration?: string;
  /** Print each QEMU command line and exit without starting anything. */
  readonly dryRun?: boolean;
}

/** One NIC of a launched VM: its edge and MAC, and the fd QEMU gets it on. */
export interface VmNic {
  readonly edge: string;
  readonly mac: string;
  readonly fd: number;
}

/** A path of the topology file's (relative to its folder). */
function pathOf(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * The QEMU command line (without the program) for VM `vm` with its `qemu:` block: name, accelerator,
 * memory, vCPUs, no default devices, no display, the serial console on stdio and no monitor (so stdout
 * is the guest's console), direct kernel boot and disks, then one `-netdev stream,…,addr.type=fd` and
 * `-device MODEL,netdev=…,mac=…` per NIC, then `qemu.args` as given.
 */
export function qemuVmArgs(vm: string, q: QemuSpec, nics: readonly VmNic[], baseDir: string): string[] {
  const a: string[] = ["-name", vm, "-accel", q.accel ?? "tcg"];
  if (q.machine !== undefined) a.push("-machine", q.machine);
  a.push("-m", q.memory ?? DEFAULT_MEMORY, "-smp", String(q.cpus ?? 1));
  a.push("-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none");
  if (q.kernel !== undefined) a.push("-kernel", pathOf(baseDir, q.kernel));
  if (q.initrd !== undefined) a.push("-initrd", pathOf(baseDir, q.initrd));
  if (q.append !== undefined) a.push("-append", q.append);
  for (const d of q.disks ?? []) {
    let drive = `file=${qemuOptValue(pathOf(baseDir, d.file))},if=${d.interface ?? "virtio"}`;
    if (d.format !== undefined) drive += `,format=${qemuOptValue(d.format)}`;
    if (d.snapshot) drive += ",snapshot=on";
    if (d.readonly) drive += ",readonly=on";
    a.push("-drive", drive);
  }
  for (const n of nics)
    a.push(...qemuNicArgs(qemuNetdevId(n.edge), { kind: "fd", fd: n.fd }, n.mac, q.nicModel));
  a.push(...(q.args ?? []));
  return a;
}

/** The program's full path: a path (relative to `baseDir`) or a name looked up in PATH; null when not found. */
export function findProgram(
  program: string,
  baseDir: string,
  path: string = process.env.PATH ?? "",
): string | null {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes("/")) {
    const p = pathOf(baseDir, program);
    return executable(p) ? p : null;
  }
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, program);
    if (executable(p)) return p;
  }
  return null;
}

/** A VM to launch: its name, `qemu:` block and the program found for it. */
export interface VmPlan {
  readonly vm: string;
  readonly qemu: QemuSpec;
  readonly program: string;
}

/**
 * The VMs with a `qemu:` block, with their files checked: the program (exists, executable), kernel,
 * initrd and disks (exist, are files). The first problem is one line (FileError / UsageError).
 */
export function planVms(spec: TopologySpec, baseDir: string, where: string): VmPlan[] {
  const plans: VmPlan[] = [];
  for (const [vm, v] of Object.entries(spec.vms)) {
    const q = v.qemu;
    if (q === undefined) continue;
    const key = `vms.${vm}.qemu`;
    const binary = q.binary ?? DEFAULT_QEMU;
    const program = findProgram(binary, baseDir);
    if (program === null)
      throw new FileError(
        binary,
        binary.includes("/")
          ? `no such program, or not executable (${key}.binary in ${where})`
          : `not found in PATH (${key}${q.binary ? ".binary" : ": the default"} in ${where}; Debian: apt-get install qemu-system-x86)`,
      );
    const files: [string, string][] = [];
    if (q.kernel !== undefined) files.push(["kernel", q.kernel]);
    if (q.initrd !== undefined) files.push(["initrd", q.initrd]);
    for (const [i, d] of (q.disks ?? []).entries()) files.push([`disks[${i}]`, d.file]);
    for (const [k, f] of files) {
      const p = pathOf(baseDir, f);
      let st: ReturnType<typeof statSync> | null = null;
      try {
        st = statSync(p);
      } catch {
        throw new FileError(p, `no such file (${key}.${k} in ${where})`);
      }
      if (!st.isFile()) throw new FileError(p, `not a file (${key}.${k} in ${where})`);
    }
    plans.push({ vm, qemu: q, program });
  }
  return plans;
}

/** Each VM's NICs (edge, MAC) as the network built from `spec` gives them, without starting anything. */
export function vmNics(spec: TopologySpec, vms: readonly string[], seed: number): Map<string, VmNic[]> {
  const { spec: quiet } = quietVms(spec, new Set(vms));
  const net = buildTopology({ ...quiet, seed }, new Simulator({ seed }));
  const out = new Map<string, VmNic[]>(vms.map((v) => [v, []]));
  for (const p of net.ports.values()) {
    const list = out.get(p.node);
    if (list) list.push({ edge: p.name, mac: formatMac(p.nic.nic.mac), fd: 3 + list.length });
  }
  return out;
}

/** One QEMU of a `vnet vm` session. */
interface Launched {
  readonly vm: string;
  readonly argv: readonly string[];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  killedByUs: boolean;
}

/**
 * Writes a child's output line by line (a partial last line is written when it ends); resolves when the
 * stream has ended.
 */
function lines(stream: NodeJS.ReadableStream | null, write: (line: string) => void): Promise<void> {
  if (stream === null) return Promise.resolve();
  let partial = "";
  stream.setEncoding?.("utf8");
  stream.on("data", (c: string | Buffer) => {
    const parts = (partial + c.toString()).split("\n");
    partial = parts.pop() ?? "";
    for (const p of parts) write(p.replace(/\r$/, ""));
  });
  return new Promise((resolve) => {
    const done = (): void => {
      if (partial !== "") write(partial.replace(/\r$/, ""));
      partial = "";
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
  });
}

export interface VmIo extends ServeIo {
  /** A console line of a VM (default: stdout, `vm | line`). */
  readonly console?: (vm: string, line: string) => void;
}

export interface VmResult {
  /** null for --dry-run. */
  readonly serve: ServeResult | null;
  /** Each VM's exit (code, or the signal that ended it). */
  readonly exits: readonly { vm: string; code: number | null; signal: string | null }[];
  /** 0, or 1 when a QEMU failed (exited non-zero or could not start) on its own. */
  readonly code: number;
}

/** `vnet vm`. */
export async function vmCommand(args: VmArgs, io: VmIo): Promise<VmResult> {
  const seedArg = seedOf(args.seed);
  const limit = durationOf(args.duration);
  const input: TopologyInput = topologyInput(args);
  const spec = input.spec;
  const where = input.source?.origin ?? input.origin ?? spec.name;
  const baseDir = args.file !== undefined ? dirname(resolve(args.file)) : process.cwd();
  const plans = planVms(spec, baseDir, where);
  if (plans.length === 0)
    throw new UsageError(
      `${where}: no VM has a qemu: block (vms.NAME.qemu: { kernel: …, initrd: … } or disks: […]); vnet serve plugs in VMs you start yourself`,
    );
  const names = plans.map((p) => p.vm);
  // VMs without qemu: whose NICs are Linux TAPs are slots too (the kernel's stack behind the TAP).
  const tapVms = Object.entries(spec.vms)
    .filter(([, v]) => v.qemu === undefined && v.nics.some((n) => n.tap !== undefined))
    .map(([vm]) => vm);
  const seed = seedArg ?? spec.seed ?? 1;
  const out = io.out;
  const name = spec.name;
  const say =
    io.console ??
    ((vm: string, line: string) => {
      out.line(`${vm} | ${line}`);
      out.flush?.();
    });

  if (args.dryRun) {
    let nics: Map<string, VmNic[]>;
    try {
      nics = vmNics(spec, names, seed);
    } catch (e) {
      if (e instanceof TopologyError) throw new UsageError(e.message);
      throw e;
    }
    for (const p of plans) {
      const argv = [p.program, ...qemuVmArgs(p.vm, p.qemu, nics.get(p.vm) ?? [], baseDir)];
      out.line(`${p.vm}: ${shellLine(argv)}`);
      for (const n of nics.get(p.vm) ?? [])
        out.line(`  fd ${n.fd}: ${n.edge} (MAC ${n.mac}), a socket pair with vnet`);
    }
    for (const vm of tapVms)
      for (const [i, n] of spec.vms[vm].nics.entries())
        if (n.tap !== undefined)
          out.line(
            `${vm}.${n.name ?? `eth${i}`}: Linux TAP ${n.tap.name}${n.tap.netns ? ` in netns ${n.tap.netns}` : ""} (the kernel's stack there is the peer)`,
          );
    out.flush?.();
    return { serve: null, exits: [], code: 0 };
  }

  const dir = resolve(args.record ?? `vnet-${name}`);
  const launched: Launched[] = [];
  const openSlots = async (slots: readonly SlotInfo[], log: AttachLog): Promise<OpenedSlot[]> => {
    const opened = new Map<string, OpenedSlot>();
    const stray = slots.find((s) => !names.includes(s.vm));
    if (stray !== undefined)
      throw new UsageError(
        `${stray.edge}: VM ${stray.vm} has no qemu: block and this NIC no tap:, so vnet vm has nothing to plug into it (give the NIC a tap:, or leave the VM simulated under vnet serve --attach)`,
      );
    for (const p of plans) {
      const mine = slots.filter((s) => s.vm === p.vm);
      const nics = mine.map((s, i) => ({ edge: s.edge, mac: s.mac, fd: 3 + i }));
      const argv = qemuVmArgs(p.vm, p.qemu, nics, baseDir);
      const { child, attaches } = spawnWithStreams(
        mine.map((s) => s.edge),
        p.program,
        argv,
        {
          paused: true,
          log,
          ...(mine[0] ? { mtu: mine[0].mtu } : {}),
          spawn: { cwd: baseDir, stdio012: ["ignore", "pipe", "pipe"] },
        },
      );
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>(
        (done) => {
          child.once("error", (e) => done({ code: null, signal: null, error: e.message }));
          child.once("exit", (code, signal) => done({ code, signal }));
        },
      );
      // Exited, and all it printed has been printed.
      const printed = Promise.all([
        lines(child.stdout, (l) => say(p.vm, l)),
        lines(child.stderr, (l) => say(p.vm, l)),
      ]);
      const exited = exit.then(async (x) => {
        await printed;
        return x;
      });
      launched.push({ vm: p.vm, argv: [p.program, ...argv], child, exited, killedByUs: false });
      for (const [i, s] of mine.entries())
        opened.set(s.edge, { attach: attaches[i], backend: { kind: "fd", fd: nics[i].fd } });
    }
    return slots.map((s) => {
      const o = opened.get(s.edge);
      if (!o) throw new Error(`no attach point for ${s.edge}`);
      return o;
    });
  };

  let session: Awaited<ReturnType<typeof startServe>>;
  try {
    session = await startServe(input, {
      dir,
      vms: [...names, ...tapVms],
      seed,
      log: (l) => io.err(`vnet: ${l}`),
      openSlots,
    });
  } catch (e) {
    for (const l of launched) l.child.kill("SIGKILL");
    throw e;
  }
  out.line(
    `vnet vm: ${name}: ${launched.length} QEMU VM${launched.length === 1 ? "" : "s"} (${names.join(", ")}), session recorded in ${dir}`,
  );
  for (const l of launched) out.line(`${l.vm}: ${shellLine(l.argv)}`);
  const real = new Set(names);
  for (const t of session.dropped) {
    const { kind, item } = trafficItem(t);
    const who = [item.from, item.to].map((x) => x.split(".")[0]).find((x) => real.has(x));
    out.line(
      `(left out: ${kind} ${item.from} -> ${item.to} at ${formatDuration(t.at)}: ${who} is a real VM)`,
    );
  }
  out.line("running in real time until every VM has exited; Ctrl-C stops them");
  out.flush?.();

  const sig = io.until ? { promise: io.until, dispose: () => {} } : signals();
  let timer: NodeJS.Timeout | null = null;
  const allExited = Promise.all(launched.map((l) => l.exited)).then(() => `every VM exited`);
  const stopWhy = await Promise.race([
    allExited,
    sig.promise,
    new Promise<string>((r) => {
      if (limit !== undefined) timer = setTimeout(() => r(`--duration ${args.duration}`), limit / 1e6);
    }),
  ]);
  if (timer) clearTimeout(timer);
  sig.dispose();
  await stopAll(launched);
  const exits: { vm: string; code: number | null; signal: string | null; error?: string }[] = [];
  for (const l of launched) {
    const x = await l.exited;
    exits.push({ vm: l.vm, code: x.code, signal: x.signal, ...(x.error ? { error: x.error } : {}) });
  }
  const result = await session.stop();
  writeFileSync(
    join(dir, VMS_FILE),
    `${JSON.stringify(
      {
        vms: launched.map((l, i) => ({
          vm: l.vm,
          argv: l.argv,
          pid: l.child.pid ?? null,
          exit: exits[i],
          stoppedByVnet: l.killedByUs,
        })),
      },
      null,
      2,
    )}\n`,
  );
  printServeEnd(result, stopWhy, io);
  let code = 0;
  for (const [i, l] of launched.entries()) {
    const x = exits[i];
    if (x.error !== undefined) {
      io.err(`vnet: ${l.vm}: QEMU could not start: ${x.error}`);
      code = 1;
    } else if (!l.killedByUs && (x.code ?? 0) !== 0) {
      io.err(
        `vnet: ${l.vm}: QEMU exited with code ${x.code} (its messages are above, prefixed "${l.vm} | ")`,
      );
      code = 1;
    } else if (!l.killedByUs && x.signal !== null) {
      io.err(`vnet: ${l.vm}: QEMU was ended by ${x.signal}`);
      code = 1;
    }
  }
  return { serve: result, exits: exits.map(({ vm, code, signal }) => ({ vm, code, signal })), code };
}

/** SIGTERM to every QEMU still running, SIGKILL to those still there after the grace period. */
async function stopAll(launched: readonly Launched[]): Promise<void> {
  const running = (l: Launched) =>
    l.child.exitCode === null && l.child.signalCode === null && l.child.pid !== undefined;
  const left = launched.filter(running);
  if (left.length === 0) return;
  for (const l of left) {
    l.killedByUs = true;
    l.child.kill("SIGTERM");
  }
  let timer: NodeJS.Timeout | null = null;
  const grace = new Promise<void>((r) => {
    timer = setTimeout(r, KILL_GRACE_MS);
  });
  await Promise.race([Promise.all(left.map((l) => l.exited)), grace]);
  if (timer) clearTimeout(timer);
  for (const l of left) if (running(l)) l.child.kill("SIGKILL");
  await Promise.all(left.map((l) => l.exited));
}
