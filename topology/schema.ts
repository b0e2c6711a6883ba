/**
 * The topology file's schema (zod v4): validates what YAML gave (kebab-case keys, unit strings) and
 * turns it into the typed `TopologySpec` (camelCase keys, numbers). Unknown keys are errors, with a
 * "did you mean" for near misses; messages say what was expected and what was given. The position in
 * the file is added by yaml.ts from each issue's path.
 */
import { z } from "zod";
import { formatIpv4, formatMac, parseIpv4Address, parseMac } from "../wire/addr.js";
import type { TopologyIssue, TopologySpec } from "./spec.js";
import { NETWORK_MODES } from "./spec.js";
import { parseDuration, parseProbability, parseRate, parseSize, UnitError } from "./units.js";

// ---------------------------------------------------------------------------------------------------
// Helpers

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The nearest of `known` to `word` when it is a plausible typo, else null. */
export function didYouMean(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const k of known) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === null) return null;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestD <= limit ? best : null;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type CamelKeys<T> = { [K in keyof T as K extends string ? Camel<K> : K]: T[K] };

/** `port-forwards` → `portForwards`. */
export function camel(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `portForwards` → `port-forwards`. */
export function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function camelKeys<T extends Record<string, unknown>>(o: T): CamelKeys<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[camel(k)] = v;
  return out as CamelKeys<T>;
}

/**
 * A strict object (unknown keys are errors, with a suggestion) whose keys become camelCase. Each
 * kebab-case key is also accepted in its camelCase spelling, so a spec made in code (the builder)
 * passes through the same schema as a file.
 */
function obj<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  const full: Record<string, unknown> = { ...shape };
  const required: string[] = [];
  for (const k of known)
    if (k.includes("-")) {
      const field = shape[k] as unknown as z.ZodType;
      if (!field.safeParse(undefined).success) required.push(k);
      full[k] = field.optional();
      full[camel(k)] = field.optional();
    }
  return z
    .strictObject(full as unknown as S, {
      error: (iss) => {
        if (iss.code !== "unrecognized_keys") return undefined;
        const k = iss.keys[0];
        const near = didYouMean(k, known) ?? didYouMean(kebab(k), known);
        return `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ""}; known keys: ${known.join(", ")}`;
      },
    })
    .transform((o, ctx) => {
      for (const k of required)
        if (
          (o as Record<string, unknown>)[k] === undefined &&
          (o as Record<string, unknown>)[camel(k)] === undefined
        )
          ctx.addIssue({ code: "custom", message: "required", path: [k] });
      return camelKeys(o as Record<string, unknown>) as CamelKeys<z.output<z.ZodObject<S>>>;
    });
}

/**
 * True while parsing a spec made in code: unit fields then take plain numbers (ns, bits/s), as the
 * TypeScript types say. A file's numbers need their unit. (Parsing is synchronous: the flag cannot leak.)
 */
let typedInput = false;

/** A field parsed by one of the unit parsers (or, for a typed spec, already a number). */
function unit<T>(parse: (v: unknown) => T, typed: (n: number) => string | null) {
  return z.unknown().transform((v, ctx): T => {
    if (typedInput && typeof v === "number") {
      const problem = typed(v);
      if (problem === null) return v as T;
      ctx.addIssue({ code: "custom", message: problem, input: v });
      return z.NEVER;
    }
    try {
      return parse(v);
    } catch (e) {
      if (!(e instanceof UnitError)) throw e;
      ctx.addIssue({ code: "custom", message: e.message, input: v });
      return z.NEVER;
    }
  });
}

const duration = unit(parseDuration, (n) =>
  Number.isSafeInteger(n) && n >= 0 ? null : `expected a duration in whole ns (use ms(), s()), got ${n}`,
);
const rate = unit(parseRate, (n) =>
  n > 0 && Number.isFinite(n) ? null : `expected a rate in bits/s above 0, got ${n}`,
);
const size = unit(parseSize, (n) =>
  Number.isSafeInteger(n) && n >= 0 ? null : `expected whole bytes, got ${n}`,
);
const probability = unit(parseProbability, (n) =>
  n >= 0 && n <= 1 ? null : `expected a probability 0..1, got ${n}`,
);

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Names of networks, VMs, routers, servers: a letter first, then letters, digits, `-`, `_` (no dots). */
const name = z.string().regex(NAME_RE, {
  error: (iss) => `expected a name (letters, digits, - and _; no dots), got ${describe(iss.input)}`,
});

/** A node or interface reference: `vm1`, `vm1.eth0`, or for `to`, also an address or a DNS name. */
const ref = z.string().min(1, { error: "expected a name, got an empty string" });

export function parseIpv4Text(v: string): string | null {
  try {
    return formatIpv4(parseIpv4Address(v.trim()));
  } catch {
    return null;
  }
}

/** `a.b.c.d` → normalised string. */
const ipv4 = z.unknown().transform((v, ctx) => {
  const s = typeof v === "string" ? parseIpv4Text(v) : null;
  if (s === null) {
    ctx.addIssue({
      code: "custom",
      message: `expected an IPv4 address (a.b.c.d), got ${describe(v)}`,
      input: v,
    });
    return z.NEVER;
  }
  return s;
});

/** `a.b.c.d/len` with `len` 0..32; `network`: the address must be the network address. */
export function parseCidrText(v: unknown, network: boolean): { ok: string } | { error: string } {
  const want = network ? "a subnet (a.b.c.d/len)" : "an address with its prefix length (a.b.c.d/len)";
  if (typeof v !== "string") return { error: `expected ${want}, got ${describe(v)}` };
  const m = /^\s*([0-9.]+)\/([0-9]{1,2})\s*$/.exec(v);
  const a = m ? parseIpv4Text(m[1]) : null;
  const len = m ? Number(m[2]) : -1;
  if (!m || a === null || len > 32) return { error: `expected ${want}, got ${describe(v)}` };
  if (network) {
    const n = parseIpv4Address(a);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const net = (n & mask) >>> 0;
    if (net !== n)
      return {
        error: `${v.trim()} has host bits set; the subnet is ${formatIpv4(net as typeof n)}/${len}`,
      };
  }
  return { ok: `${a}/${len}` };
}

function cidr(network: boolean) {
  return z.unknown().transform((v, ctx) => {
    const r = parseCidrText(v, network);
    if ("error" in r) {
      ctx.addIssue({ code: "custom", message: r.error, input: v });
      return z.NEVER;
    }
    return r.ok;
  });
}

const subnet = cidr(true);
const hostCidr = cidr(false);

const mac = z.unknown().transform((v, ctx) => {
  try {
    if (typeof v !== "string") throw new Error();
    return formatMac(parseMac(v));
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `expected a MAC address (52:54:00:12:34:56), got ${describe(v)}`,
      input: v,
    });
    return z.NEVER;
  }
});

const port = z
  .number({ error: (iss) => `expected a port number 1..65535, got ${describe(iss.input)}` })
  .int({ error: (iss) => `expected a port number 1..65535, got ${describe(iss.input)}` })
  .min(1, { error: (iss) => `expected a port number 1..65535, got ${describe(iss.input)}` })
  .max(65535, { error: (iss) => `expected a port number 1..65535, got ${describe(iss.input)}` });

function count(what: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  const msg = (iss: { input?: unknown }) =>
    `expected ${what} (a whole number ${min}..${max === Number.MAX_SAFE_INTEGER ? "" : max}), got ${describe(iss.input)}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => {
      const got = iss.input;
      const near = typeof got === "string" ? didYouMean(got, values) : null;
      return `expected one of ${values.join(", ")}, got ${describe(got)}${near ? ` (did you mean "${near}"?)` : ""}`;
    },
  });
}

// ---------------------------------------------------------------------------------------------------
// The schema, key for key the YAML file.

const link = obj({
  delay: duration.optional(),
  jitter: duration.optional(),
  rate: rate.optional(),
  loss: probability.optional(),
  duplicate: probability.optional(),
  corrupt: probability.optional(),
  queue: count("a queue length in packets", 1).optional(),
});

/** `10.0.2.15-10.0.2.30` or `{ start, end }`. */
const range = z.unknown().transform((v, ctx) => {
  let start: string | null = null;
  let end: string | null = null;
  if (typeof v === "string") {
    const m = /^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$/.exec(v);
    if (m) {
      start = parseIpv4Text(m[1]);
      end = parseIpv4Text(m[2]);
    }
  } else if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o.start === "string" && typeof o.end === "string") {
      start = parseIpv4Text(o.start);
      end = parseIpv4Text(o.end);
    }
  }
  if (start === null || end === null) {
    ctx.addIssue({
      code: "custom",
      message: `expected A-B (two IPv4 addresses), got ${describe(v)}`,
      input: v,
    });
    return z.NEVER;
  }
  if (parseIpv4Address(start) > parseIpv4Address(end)) {
    ctx.addIssue({ code: "custom", message: `range ${start}-${end} ends before it starts`, input: v });
    return z.NEVER;
  }
  return { start, end };
});

const reservation = obj({ mac, ip: ipv4, hostname: z.string().optional() });

const dhcp = obj({
  range: range.optional(),
  lease: duration.optional(),
  server: ipv4.optional(),
  router: z.union([z.literal(false), ipv4]).optional(),
  dns: z.union([z.literal(false), z.array(ipv4)]).optional(),
  reservations: z.array(reservation).optional(),
});

const behaviour = oneOf(["endpoint-independent", "address-dependent", "address-and-port-dependent"]);

const nat = obj({
  behaviour: oneOf(["linux", "full-cone", "restricted-cone", "port-restricted-cone", "symmetric"]).optional(),
  mapping: behaviour.optional(),
  filtering: behaviour.optional(),
  "max-flows": count("a number of flows", 1).optional(),
});

const portForward = obj({ proto: oneOf(["tcp", "udp"]), "host-port": port, vm: name, port });

/** `to: default` or a subnet. */
const routeDst = z.unknown().transform((v, ctx) => {
  if (v === "default") return "default";
  const r = parseCidrText(v, true);
  if ("error" in r) {
    ctx.addIssue({ code: "custom", message: `${r.error} (or "default")`, input: v });
    return z.NEVER;
  }
  return r.ok;
});

const route = obj({ to: routeDst, via: ipv4 });

const network = obj({
  mode: oneOf(NETWORK_MODES as unknown as readonly [string, ...string[]]).transform(
    (m) => m as (typeof NETWORK_MODES)[number],
  ),
  flavor: oneOf(["slirp", "libvirt"]).optional(),
  subnet: subnet.optional(),
  host: ipv4.optional(),
  dhcp: z.union([z.boolean(), dhcp]).optional(),
  dns: z.union([z.boolean(), ipv4]).optional(),
  domain: z.string().optional(),
  nat: nat.optional(),
  "port-forwards": z.array(portForward).optional(),
  "per-vm": z.boolean().optional(),
  routes: z.array(route).optional(),
  links: z
    .array(
      z.union([z.string().transform((n) => ({ network: n })), obj({ network: name, link: link.optional() })]),
    )
    .optional(),
});

/** `ip: dhcp | none | a.b.c.d/len`. */
const nicIp = z.unknown().transform((v, ctx) => {
  if (v === "dhcp" || v === "none") return v;
  const r = parseCidrText(v, false);
  if ("error" in r) {
    ctx.addIssue({
      code: "custom",
      message: `expected dhcp, none or a.b.c.d/len, got ${describe(v)}`,
      input: v,
    });
    return z.NEVER;
  }
  return r.ok;
});

/** `tap: vtap0` or `tap: { name: vtap0, netns: lab }`: a Linux interface name and a namespace. */
const ifname = z
  .string({ error: (iss) => `expected an interface name, got ${describe(iss.input)}` })
  .refine((v) => v.length > 0 && Buffer.byteLength(v) <= 15 && !/[\s/:]/.test(v) && v !== "." && v !== "..", {
    error: (iss) =>
      `expected an interface name (1 to 15 bytes, no spaces, / or :), got ${describe(iss.input)}`,
  });
const netns = z
  .string({ error: (iss) => `expected a network namespace (a name or a path), got ${describe(iss.input)}` })
  .refine((v) => (v.includes("/") ? v.startsWith("/") : NAME_RE.test(v) || /^[A-Za-z0-9._-]+$/.test(v)), {
    error: (iss) =>
      `expected a network namespace: a name as ip netns add takes it, or an absolute path, got ${describe(iss.input)}`,
  });
const tap = z.union([ifname.transform((n) => ({ name: n })), obj({ name: ifname, netns: netns.optional() })]);

const nic = obj({
  network: name,
  name: name.optional(),
  mac: mac.optional(),
  ip: nicIp.optional(),
  gateway: ipv4.optional(),
  dns: z.array(ipv4).optional(),
  link: link.optional(),
  tap: tap.optional(),
});

/** A NIC is `{ network: lan, … }` or just the network's name. */
const nicOrName = z.union([z.string().transform((n) => ({ network: n })), nic]);

/** QEMU `-m`: a whole number of MiB, or with QEMU's suffix (`512M`, `1G`, `1.5G`). */
const qemuMemory = z.unknown().transform((v, ctx) => {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  if (!/^[0-9]+(\.[0-9]+)?[KMGT]?$/i.test(s) || Number.parseFloat(s) <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected memory as QEMU's -m takes it (256M, 1G, or a number of MiB), got ${describe(v)}`,
      input: v,
    });
    return z.NEVER;
  }
  return s.toUpperCase();
});

const nonEmpty = (what: string) =>
  z
    .string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` })
    .min(1, { error: `expected ${what}, got an empty string` });

const qemuDisk = z.union([
  z
    .string()
    .min(1)
    .transform((file) => ({ file })),
  obj({
    file: nonEmpty("an image file"),
    format: nonEmpty("a QEMU image format (raw, qcow2, …)").optional(),
    interface: oneOf(["virtio", "ide", "scsi", "sd", "none"]).optional(),
    snapshot: z.boolean().optional(),
    readonly: z.boolean().optional(),
  }),
]);

const qemu = obj({
  binary: nonEmpty("a program").optional(),
  memory: qemuMemory.optional(),
  cpus: count("a number of vCPUs", 1, 1024).optional(),
  accel: nonEmpty("an accelerator (tcg, kvm)").optional(),
  machine: nonEmpty("a machine type").optional(),
  kernel: nonEmpty("a kernel file").optional(),
  initrd: nonEmpty("an initrd file").optional(),
  append: z.string().optional(),
  disks: z.array(qemuDisk).optional(),
  "nic-model": nonEmpty("a QEMU NIC model (virtio-net-pci, e1000, …)").optional(),
  args: z.array(z.string()).optional(),
}).superRefine((q, ctx) => {
  // QEMU: "-append only allowed with -kernel option" (and -initrd likewise).
  for (const k of ["initrd", "append"] as const)
    if (q[k] !== undefined && q.kernel === undefined)
      ctx.addIssue({
        code: "custom",
        message: `${k} needs kernel (QEMU takes -${k} only with -kernel)`,
        path: [k],
      });
});

const vm = obj({
  nics: z.array(nicOrName).min(1, { error: "a VM needs at least one NIC" }),
  forwarding: z.boolean().optional(),
  routes: z.array(route).optional(),
  hostname: z.string().optional(),
  "udp-echo": z.union([z.boolean(), port, z.array(port)]).optional(),
  qemu: qemu.optional(),
}).superRefine((v, ctx) => {
  if (v.qemu === undefined) return;
  for (const [i, n] of v.nics.entries())
    if ("tap" in n && n.tap !== undefined)
      ctx.addIssue({
        code: "custom",
        message:
          "a VM with qemu: has its NICs on vnet (vnet vm plugs them in); a TAP peer belongs to a VM without qemu:",
        path: ["nics", i, "tap"],
      });
});

/** The same TAP (name and namespace) given to two NICs. */
const vms = z.record(name, vm).superRefine((all, ctx) => {
  const seen = new Map<string, string>();
  for (const [vmName, v] of Object.entries(all))
    for (const [i, n] of v.nics.entries()) {
      const t = ("tap" in n ? n.tap : undefined) as { name: string; netns?: string } | undefined;
      if (t === undefined) continue;
      const key = `${t.netns ?? ""}\u0000${t.name}`;
      const first = seen.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          message: `TAP ${t.name}${t.netns ? ` in ${t.netns}` : ""} is already the peer of ${first}`,
          path: [vmName, "nics", i, "tap"],
        });
      else seen.set(key, `${vmName}.${("name" in n ? n.name : undefined) ?? `eth${i}`}`);
    }
});

const routerInterface = obj({
  network: name,
  ip: hostCidr,
  name: name.optional(),
  mac: mac.optional(),
  link: link.optional(),
});

const router = obj({
  interfaces: z.array(routerInterface).min(1, { error: "a router needs at least one interface" }),
  routes: z.array(route).optional(),
});

const server = obj({
  ip: ipv4,
  "udp-echo": z.union([z.boolean(), port]).optional(),
  dns: z.union([z.boolean(), z.record(z.string(), ipv4)]).optional(),
});

const outside = obj({
  subnet: subnet.optional(),
  gateway: ipv4.optional(),
  host: ipv4.optional(),
  domain: z.string().optional(),
  dhcp: z.union([z.boolean(), dhcp]).optional(),
  servers: z.record(name, server).optional(),
  link: link.optional(),
});

const ping = obj({
  from: ref,
  to: ref,
  count: count("a count", 1).optional(),
  interval: duration.optional(),
  size: count("a payload size", 0, 65507).optional(),
  ttl: count("a TTL", 1, 255).optional(),
  timeout: duration.optional(),
});

const udpEcho = obj({
  from: ref,
  to: ref,
  port: port.optional(),
  count: count("a count", 1).optional(),
  interval: duration.optional(),
  size: count("a payload size", 0, 65507).optional(),
});

const flow = obj({
  from: ref,
  to: ref,
  port,
  rate,
  size: size.pipe(count("a payload size", 1, 65507)),
  duration,
});

const TRAFFIC_KINDS = ["ping", "udp-echo", "flow"] as const;
const traffic = obj({
  at: duration.optional(),
  ping: ping.optional(),
  "udp-echo": udpEcho.optional(),
  flow: flow.optional(),
}).transform((t, ctx) => {
  const kinds = TRAFFIC_KINDS.filter((k) => (t as Record<string, unknown>)[camel(k)] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        kinds.length === 0
          ? `a traffic item needs one of ${TRAFFIC_KINDS.join(", ")}`
          : `a traffic item has one of ${TRAFFIC_KINDS.join(", ")}, not ${kinds.join(" and ")}`,
    });
    return z.NEVER;
  }
  const at = t.at ?? 0;
  if (t.ping) return { at, ping: t.ping };
  if (t.udpEcho) return { at, udpEcho: t.udpEcho };
  return { at, flow: t.flow! };
});

const FAULT_KINDS = ["link-down", "link-up", "stop", "start"] as const;
const fault = obj({
  at: duration,
  "link-down": ref.optional(),
  "link-up": ref.optional(),
  stop: ref.optional(),
  start: ref.optional(),
}).transform((f, ctx) => {
  const kinds = FAULT_KINDS.filter((k) => (f as Record<string, unknown>)[camel(k)] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        kinds.length === 0
          ? `a fault needs one of ${FAULT_KINDS.join(", ")}`
          : `a fault has one of ${FAULT_KINDS.join(", ")}, not ${kinds.join(" and ")}`,
    });
    return z.NEVER;
  }
  const at = f.at;
  if (f.linkDown !== undefined) return { at, linkDown: f.linkDown };
  if (f.linkUp !== undefined) return { at, linkUp: f.linkUp };
  if (f.stop !== undefined) return { at, stop: f.stop };
  return { at, start: f.start! };
});

const captures = z.union([z.literal("all"), z.literal("none"), z.array(ref)], {
  error: (iss) => `expected all, none or a list of ports and networks, got ${describe(iss.input)}`,
});

export const topologySchema = obj({
  name: z.string().min(1).optional(),
  seed: count("a seed", 0, 0xffffffff).optional(),
  duration: duration.optional(),
  networks: z.record(name, network).optional(),
  vms: vms.optional(),
  routers: z.record(name, router).optional(),
  outside: outside.optional(),
  traffic: z.array(traffic).optional(),
  faults: z.array(fault).optional(),
  captures: captures.optional(),
});

/** Wording for zod's built-in issues (missing keys, wrong types, invalid record keys). */
function message(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === "invalid_type") {
    if (iss.input === undefined) return "required";
    const want =
      iss.expected === "object" ? "a mapping" : iss.expected === "array" ? "a list" : `a ${iss.expected}`;
    return `expected ${want}, got ${describe(iss.input)}`;
  }
  if (iss.code === "invalid_union") {
    if (iss.input === undefined) return "required";
    const wants: string[] = [];
    for (const branch of iss.errors)
      for (const b of branch)
        if (b.path.length === 0 && b.code === "invalid_type")
          wants.push(
            b.expected === "object" ? "a mapping" : b.expected === "array" ? "a list" : `a ${b.expected}`,
          );
        else if (b.path.length === 0 && b.code === "invalid_value")
          wants.push(b.values.map((v) => String(v)).join(" or "));
    return wants.length > 0
      ? `expected ${[...new Set(wants)].join(" or ")}, got ${describe(iss.input)}`
      : undefined;
  }
  if (iss.code === "invalid_key")
    return `invalid name ${describe(iss.input)} (letters, digits, - and _; no dots)`;
  return undefined;
}

type AnyIssue = z.core.$ZodIssue;

/**
 * zod's issues as TopologyIssues with full paths. A union (`dhcp: false | { … }`) reports every
 * branch: the branch that got past its type check (no type error at its root) is the one meant.
 */
function flattenIssues(list: readonly AnyIssue[], prefix: (string | number)[]): TopologyIssue[] {
  const out: TopologyIssue[] = [];
  for (const i of list) {
    const path = [...prefix, ...i.path.map((p) => (typeof p === "number" ? p : String(p)))];
    if (i.code === "invalid_union" && i.errors.length > 0) {
      const meant = i.errors.filter(
        (branch) =>
          !branch.some(
            (b) => b.path.length === 0 && (b.code === "invalid_type" || b.code === "invalid_value"),
          ),
      );
      if (meant.length > 0) {
        out.push(...flattenIssues(meant[0], path));
        continue;
      }
    }
    if (i.code === "unrecognized_keys") {
      out.push({ path: [...path, i.keys[0]], message: i.message, atKey: true });
      continue;
    }
    const atKey = i.code === "invalid_key";
    out.push({ path, message: i.message, ...(atKey ? { atKey } : {}) });
  }
  return out;
}

/**
 * Validates raw input (what YAML or JSON gave) into a `TopologySpec` without the reference checks
 * (see check.ts). `fallbackName` names a topology without `name:`. Issues are ordered with unknown
 * keys first (a typo explains the "required" that follows it).
 */
export function parseTopologyInput(
  raw: unknown,
  opts: { fallbackName?: string; typed?: boolean } = {},
): { spec: TopologySpec; issues: [] } | { spec: null; issues: TopologyIssue[] } {
  const fallbackName = opts.fallbackName ?? "topology";
  if (raw === null || raw === undefined)
    return { spec: null, issues: [{ path: [], message: "the topology is empty" }] };
  typedInput = opts.typed === true;
  let r: ReturnType<typeof topologySchema.safeParse>;
  try {
    r = topologySchema.safeParse(raw, { error: message });
  } finally {
    typedInput = false;
  }
  if (!r.success) {
    const issues = flattenIssues(r.error.issues, []);
    // Unknown keys first: a typo explains the "required" that follows it.
    issues.sort(
      (a, b) =>
        Number(b.atKey === true && b.message.startsWith("unknown key")) -
        Number(a.atKey === true && a.message.startsWith("unknown key")),
    );
    return { spec: null, issues };
  }
  const d = r.data;
  const spec: TopologySpec = {
    name: d.name ?? fallbackName,
    ...(d.seed !== undefined ? { seed: d.seed } : {}),
    ...(d.duration !== undefined ? { duration: d.duration } : {}),
    networks: d.networks ?? {},
    vms: d.vms ?? {},
    ...(d.routers ? { routers: d.routers } : {}),
    ...(d.outside ? { outside: d.outside } : {}),
    ...(d.traffic ? { traffic: d.traffic } : {}),
    ...(d.faults ? { faults: d.faults } : {}),
    ...(d.captures ? { captures: d.captures } : {}),
  };
  return { spec, issues: [] };
}
