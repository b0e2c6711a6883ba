/**
 * End-to-end tests of the `vnet` command: the built `node dist/cli/main.js` is spawned as a user would
 * run it, and its stdout, stderr and exit code are checked. Expected output never comes from vnet's own
 * code: it comes from the local tcpdump 4.99.3 / libpcap 1.10.3 run on the same file (printing, filters,
 * truncation messages, record counts), from the corpus capture files, or from the CLI's documented
 * contract (one-line errors; exit codes 0 ok, 1 bad input, 2 usage, 70 internal bug — cli/README.md).
 *
 * The build (`tsc -p tsconfig.build.json`) runs in beforeAll when dist/ is older than cli/, captures/ or
 * wire/. Spawning node costs ~0.25 s here, so processes run two at a time and the every-offset cuts are
 * sampled except on one tiny file (VNET_CLI_ALL_CUTS=1 cuts every file at every offset).
 */
import { type ExecFileException, execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../", import.meta.url));
const mainJs = join(repo, "dist", "cli", "main.js");
const corpus = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
const haveShared = existsSync(corpus);
if (!haveShared) console.warn("skipped: ../shared not present");

const TCPDUMP = "/usr/bin/tcpdump";
const haveTcpdump = spawnSync(TCPDUMP, ["--version"], { encoding: "utf8" }).status === 0;
/** Without tcpdump the comparisons skip, except in CI, where they run and fail. */
const skipTcpdump = !haveTcpdump && !process.env.CI;
if (!haveTcpdump) {
  console.warn(
    process.env.CI
      ? "tcpdump is missing: the tcpdump comparisons will fail (CI)"
      : "skipped: tcpdump not installed",
  );
}

const ENV = { ...process.env, TZ: "GMT0", LC_ALL: "C" };
const SPAWN_TIMEOUT_MS = 20_000;

// ------------------------------------------------------------------------------------------ build

/** dist/ is stale when some source of cli/, captures/ or wire/ has no emitted .js newer than itself. */
function distIsStale(): boolean {
  if (!existsSync(mainJs)) return true;
  for (const m of ["cli", "captures", "wire"]) {
    const dir = join(repo, m);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !e.name.endsWith(".ts") || e.name.endsWith(".test.ts") || e.name.endsWith(".d.ts"))
        continue;
      const src = join(e.parentPath, e.name);
      const js = join(repo, "dist", relative(repo, src)).replace(/\.ts$/, ".js");
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(src).mtimeMs) return true;
    }
  }
  return false;
}

beforeAll(() => {
  if (!distIsStale()) return;
  // tsc emits even when another module (mid-edit) has type errors; what matters is dist/cli/main.js.
  const r = spawnSync(
    process.execPath,
    [join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: repo,
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  const cliErrors = (r.stdout ?? "").split("\n").filter((l) => /^(cli|captures|wire)\//.test(l));
  if (r.status !== 0)
    console.warn(`build: tsc exited ${r.status} (${cliErrors.length} errors in cli/captures/wire)`);
  expect(cliErrors, "type errors in the modules the CLI is built from").toEqual([]);
  expect(existsSync(mainJs)).toBe(true);
}, 180_000);

// ------------------------------------------------------------------------------------------ helpers

interface Run {
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: ENV, timeout: SPAWN_TIMEOUT_MS, maxBuffer: 64 << 20, encoding: "latin1" },
      (err: ExecFileException | null, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        const signal = err?.signal ?? null;
        resolve({ code, signal, timedOut: Boolean(err?.killed), stdout, stderr });
      },
    );
  });
}

/**
 * Runs the built command. A module that fails to load (a SyntaxError or missing module inside dist/)
 * means someone rebuilt dist/ while this process started — it happens when several people share a
 * working copy — so that one run is retried once after a pause; a really broken build fails twice.
 */
async function vnet(...args: string[]): Promise<Run> {
  const r = await run(process.execPath, [mainJs, ...args]);
  const torn = /(SyntaxError|ERR_MODULE_NOT_FOUND)/.test(r.stderr) && r.stderr.includes("/dist/");
  if (!torn) return r;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return run(process.execPath, [mainJs, ...args]);
}

function tcpdump(...args: string[]): Run {
  if (!haveTcpdump) throw new Error(`tcpdump is required (not found at ${TCPDUMP})`);
  const r = spawnSync(TCPDUMP, args, { env: ENV, encoding: "latin1", timeout: SPAWN_TIMEOUT_MS });
  return {
    code: r.status,
    signal: r.signal,
    timedOut: r.error !== undefined,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
  };
}

/** Runs `fn` over `items`, two at a time (the machine has 2 cores), keeping the order of results. */
async function pool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, width = 2): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

const lines = (s: string): string[] => s.split("\n").filter((l) => l !== "");
const isReadingLine = (l: string): boolean =>
  /^reading from file .*, link-type .*, snapshot length \d+$/.test(l);
/** stderr without tcpdump's informational "reading from file …" line (vnet prints it too). */
const errorLines = (stderr: string): string[] => lines(stderr).filter((l) => !isReadingLine(l));
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The libpcap reason in tcpdump's stderr: `tcpdump: [pcap_loop: ]REASON`. */
function tcpdumpReason(stderr: string): string {
  const e = errorLines(stderr);
  return e.length === 1 ? e[0].replace(/^tcpdump: /, "").replace(/^pcap_loop: /, "") : `<${e.length} lines>`;
}

/** The reason in vnet's one error line: `vnet: FILE: REASON (at byte offset N)`. */
function vnetReason(stderr: string, file: string): string {
  const e = errorLines(stderr);
  if (e.length !== 1) return `<${e.length} lines>`;
  const m = new RegExp(`^vnet: ${escapeRe(file)}: (.+) \\(at byte offset \\d+\\)$`).exec(e[0]);
  return m ? m[1] : `<not of the form: ${e[0]}>`;
}

/** What must never appear on stderr, whatever the input. */
function crashSigns(r: Run): string[] {
  const bad: string[] = [];
  if (r.timedOut) bad.push("timed out");
  if (r.signal) bad.push(`killed by ${r.signal}`);
  if (/^ {4}at /m.test(r.stderr)) bad.push("stack trace on stderr");
  if (/internal error/.test(r.stderr)) bad.push("internal error");
  if (/EPIPE/.test(r.stderr)) bad.push("EPIPE on stderr");
  return bad.length === 0 ? bad : [`${bad.join(", ")}; stderr: ${r.stderr.slice(0, 600)}`];
}

/** Corpus captures (pcap/pcapng), from the four folders the brief names. */
function corpusFiles(folder: string): string[] {
  const dir = join(corpus, folder);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(pcap|pcapng)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

let tmp = "";
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "vnet-cli-test-"));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const C = (p: string): string => join(corpus, p);

// ------------------------------------------------------------------------------------ corpus sweep

describe.skipIf(!haveShared)("vnet inspect -# on every corpus file", () => {
  /** libpcap's verdict (exit 0 or not) is compared where libpcap is the reference (not pcapng-test-generator, see its README). */
  const folders: ReadonlyArray<readonly [string, boolean]> = [
    ["tcpdump", true],
    ["libpcap", true],
    ["pcapng-test-generator/output_le", false],
    ["pcapng-test-generator/output_be", false],
  ];
  for (const [folder, compareWithLibpcap] of folders) {
    it(`${folder}: exits 0 with numbered packets, or 1 with one error line; never a crash`, async () => {
      const files = corpusFiles(folder);
      expect(files.length).toBeGreaterThan(0);
      const runs = await pool(files, (f) => vnet("inspect", "-#", f));
      const problems: string[] = [];
      let failed = 0;
      files.forEach((f, i) => {
        const r = runs[i];
        const name = relative(corpus, f);
        for (const b of crashSigns(r)) problems.push(`${name}: ${b}`);
        const numbers = lines(r.stdout)
          .map((l) => /^ *(\d+) {2}/.exec(l))
          .filter((m) => m !== null)
          .map((m) => Number(m[1]));
        // -# numbers the packets 1, 2, 3, … (continuation lines carry no number).
        if (!numbers.every((n, k) => n === k + 1)) problems.push(`${name}: packet numbers not 1..N`);
        if (r.code === 0) {
          if (errorLines(r.stderr).length !== 0)
            problems.push(`${name}: exit 0 but stderr ${JSON.stringify(r.stderr)}`);
        } else if (r.code === 1) {
          failed++;
          const e = errorLines(r.stderr);
          const re = new RegExp(`^vnet: ${escapeRe(f)}: .+ \\(at byte offset \\d+\\)$`);
          if (e.length !== 1 || !re.test(e[0]))
            problems.push(`${name}: error is not one line: ${JSON.stringify(e)}`);
        } else {
          problems.push(`${name}: exit ${r.code}`);
        }
        if (compareWithLibpcap && !skipTcpdump) {
          const t = tcpdump("-#", "-n", "-r", f);
          if ((t.code === 0) !== (r.code === 0))
            problems.push(`${name}: tcpdump exits ${t.code}, vnet ${r.code}`);
          const tNumbers = lines(t.stdout).filter((l) => /^ *\d+ {2}/.test(l)).length;
          if (t.code === 0 && tNumbers !== numbers.length) {
            problems.push(`${name}: tcpdump prints ${tNumbers} packets, vnet ${numbers.length}`);
          }
        }
      });
      expect(problems).toEqual([]);
      // The folders that hold malformed files do exercise the error path.
      if (folder === "libpcap") expect(failed).toBeGreaterThan(0);
    });
  }
});

// ------------------------------------------------------------------------------- truncated files

/**
 * Offsets to cut a file at: all of them, or (to keep the run short) the first 60 bytes every 5th
 * byte — file header, first record or block header — then every 23rd, plus the last four.
 */
function cutOffsets(size: number, every: boolean): number[] {
  if (every || process.env.VNET_CLI_ALL_CUTS) return Array.from({ length: size + 1 }, (_, i) => i);
  const s = new Set<number>();
  for (let i = 0; i < Math.min(60, size); i += 5) s.add(i);
  for (let i = 60; i < size; i += 23) s.add(i);
  for (let i = Math.max(0, size - 3); i <= size; i++) s.add(i);
  return [...s].sort((a, b) => a - b);
}

describe.skipIf(!haveShared || skipTcpdump)("truncated captures: vnet agrees with tcpdump -# -n -r", () => {
  // Small valid corpus files: a 78-byte classic pcap (cut at every offset), a nanosecond pcap with
  // Linux cooked headers and a pcapng (both sampled).
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    ["tcpdump/udp-length-heapoverflow.pcap", true],
    ["tcpdump/tcp-handshake-nano.pcap", false],
    ["tcpdump/icmpv6-length-zero.pcapng", false],
  ];
  for (const [file, every] of cases) {
    it(`${file} cut at ${every ? "every" : "sampled"} byte offset(s)`, async () => {
      const bytes = readFileSync(C(file));
      const base = file.split("/").pop() ?? file;
      const offsets = cutOffsets(bytes.length, every);
      const paths = offsets.map((n) => {
        const p = join(tmp, `cut-${n}-${base}`);
        writeFileSync(p, bytes.subarray(0, n));
        return p;
      });
      const runs = await pool(paths, (p) => vnet("inspect", "-#", p));
      const problems: string[] = [];
      let errors = 0;
      paths.forEach((p, i) => {
        const at = `cut at ${offsets[i]}`;
        const v = runs[i];
        const t = tcpdump("-#", "-n", "-r", p);
        for (const b of crashSigns(v)) problems.push(`${at}: ${b}`);
        if (v.stdout !== t.stdout) problems.push(`${at}: stdout differs from tcpdump's`);
        if ((v.code === 0) !== (t.code === 0)) problems.push(`${at}: exit ${v.code}, tcpdump ${t.code}`);
        if (v.code !== 0) {
          errors++;
          if (v.code !== 1) problems.push(`${at}: exit ${v.code}, want 1`);
          const want = tcpdumpReason(t.stderr);
          const got = vnetReason(v.stderr, p);
          if (got !== want)
            problems.push(`${at}: reason ${JSON.stringify(got)}, tcpdump ${JSON.stringify(want)}`);
        }
      });
      expect(problems).toEqual([]);
      expect(errors).toBeGreaterThan(0);
      for (const p of paths) rmSync(p);
    });
  }
});

// ------------------------------------------------------------------------------------------ filters

describe.skipIf(!haveShared || skipTcpdump)(
  "filters: vnet inspect F EXPR prints what tcpdump -n -r F EXPR prints",
  () => {
    // Each expression selects some but not all packets of its file (checked on tcpdump's output).
    const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
      ["tcpdump/QinQpacket.pcap", ["vlan", "and", "udp"]],
      ["tcpdump/dns_tcp.pcap", ["tcp[tcpflags] & tcp-syn != 0"]],
      ["tcpdump/dns_tcp.pcap", ["src", "port", "53"]],
      ["tcpdump/icmpv6.pcap", ["icmp6 and ip6[40] == 134"]],
      ["libpcap/gateway_or_not.pcap", ["arp"]],
      ["libpcap/gateway_or_not.pcap", ["icmp", "or", "(ip6", "and", "host", "fd00:e5f6::f3)"]],
      ["tcpdump/icmpv6.pcap", ["greater", "200"]],
      // A lone "-" word is filter arithmetic, not an option or standard input.
      ["tcpdump/dns_tcp.pcap", ["len", "-", "14", ">", "100"]],
    ];
    it("prints the same lines for each expression", async () => {
      const runs = await pool(cases, ([f, expr]) => vnet("inspect", C(f), ...expr));
      cases.forEach(([f, expr], i) => {
        const what = `${f} ${expr.join(" ")}`;
        const t = tcpdump("-n", "-r", C(f), ...expr);
        const all = lines(tcpdump("-n", "-r", C(f)).stdout).length;
        expect(t.code, what).toBe(0);
        expect(lines(t.stdout).length, `${what}: a selective expression`).toBeGreaterThan(0);
        expect(lines(t.stdout).length, `${what}: a selective expression`).toBeLessThan(all);
        expect(crashSigns(runs[i]), what).toEqual([]);
        expect(runs[i].code, what).toBe(0);
        expect(runs[i].stdout, what).toBe(t.stdout);
      });
    });

    it("-c N counts matching packets, as tcpdump -c N does", async () => {
      const f = C("tcpdump/QinQpacket.pcap");
      const v = await vnet("inspect", "-c", "3", f, "vlan", "and", "udp");
      expect(v.code).toBe(0);
      expect(v.stdout).toBe(tcpdump("-c", "3", "-n", "-r", f, "vlan", "and", "udp").stdout);
      expect(lines(v.stdout)).toHaveLength(3);
    });

    it("a bad expression: one line naming the column, exit 1, nothing on stdout", async () => {
      const f = C("tcpdump/dns_udp.pcap");
      // tcpdump rejects it too (exit 1, "syntax error").
      const t = tcpdump("-n", "-r", f, "tcp", "and", "and");
      expect(t.code).toBe(1);
      expect(t.stderr).toMatch(/syntax error/);
      // "tcp and and": the second "and" starts at column 9.
      const v = await vnet("inspect", f, "tcp", "and", "and");
      expect(v.code).toBe(1);
      expect(v.stdout).toBe("");
      const e = lines(v.stderr);
      expect(e).toHaveLength(1);
      expect(e[0]).toMatch(/^vnet: syntax error in filter expression at column 9: .+/);
    });
  },
);

// ----------------------------------------------------------------------------------- --json --stats

interface Json {
  readonly [k: string]: unknown;
}
const parseJsonLines = (s: string): Json[] => lines(s).map((l) => JSON.parse(l) as Json);

describe.skipIf(!haveShared || skipTcpdump)("--json and --stats", () => {
  const files = ["tcpdump/dns_tcp.pcap", "libpcap/gateway_or_not.pcap", "tcpdump/icmpv6-length-zero.pcapng"];
  /** Packet count and printed lines by tcpdump (one line per packet without -v on these files). */
  const tcpdumpLines = (f: string): string[] => lines(tcpdump("-n", "-r", C(f)).stdout);

  it("--json: one valid JSON object per packet, numbered, with tcpdump's line", async () => {
    const runs = await pool(files, (f) => vnet("inspect", "--json", C(f)));
    files.forEach((f, i) => {
      const r = runs[i];
      expect(r.code, f).toBe(0);
      expect(r.stderr, f).toBe("");
      const objs = parseJsonLines(r.stdout);
      const want = tcpdumpLines(f);
      expect(objs.length, f).toBe(want.length);
      objs.forEach((o, k) => {
        expect(o.number).toBe(k + 1);
        expect(o.line).toBe(want[k]);
        expect(typeof o.len).toBe("number");
        expect(o.caplen as number).toBeLessThanOrEqual(o.len as number);
      });
    });
  });

  it("--stats --json: totals equal the record count; conversations add up and match tcpdump's host filters", async () => {
    const runs = await pool(files, (f) => vnet("inspect", "--stats", "--json", C(f)));
    files.forEach((f, i) => {
      const r = runs[i];
      expect(r.code, f).toBe(0);
      const objs = parseJsonLines(r.stdout);
      const n = tcpdumpLines(f).length;
      const summary = objs.filter((o) => o.type === "summary");
      expect(summary, f).toHaveLength(1);
      expect(summary[0].packets, f).toBe(n);
      const convs = objs.filter((o) => o.type === "conversation");
      expect(convs.length, f).toBeGreaterThan(0);
      let inConvs = 0;
      for (const c of convs) {
        expect(c.frames).toBe((c.framesAtoB as number) + (c.framesBtoA as number));
        expect(c.bytes).toBe((c.bytesAtoB as number) + (c.bytesBtoA as number));
        inConvs += c.frames as number;
        // The same conversation counted by tcpdump: packets of that family between A and B.
        const fam = c.family === "ipv6" ? "ip6" : "ip";
        const t = tcpdump("-n", "-r", C(f), `${fam} and host ${c.a} and host ${c.b}`);
        expect(c.frames, `${f}: ${c.a} <-> ${c.b}`).toBe(lines(t.stdout).length);
      }
      expect(inConvs).toBeLessThanOrEqual(n);
      for (const t of objs.filter((o) => o.type === "talker")) {
        expect(t.packets as number).toBeGreaterThan(0);
        expect(t.packets as number).toBeLessThanOrEqual(n);
      }
      const eth = objs.find((o) => o.type === "protocol" && o.path === "eth");
      expect(eth?.frames, f).toBe(n);
    });
  });

  it("--stats (text): the packet count and the conversation table", async () => {
    const f = "libpcap/gateway_or_not.pcap";
    const r = await vnet("inspect", "--stats", C(f));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^Packets: ${tcpdumpLines(f).length}$`, "m"));
    expect(r.stdout).toMatch(/IPv4 Conversations/);
    expect(r.stdout).toMatch(/IPv6 Conversations/);
  });

  it("a truncated file: --json and --stats give the packets before the fault, then one error line", async () => {
    const cut = join(tmp, "stats-cut.pcap");
    // dns_tcp.pcap cut inside its fourth record's data.
    writeFileSync(cut, readFileSync(C("tcpdump/dns_tcp.pcap")).subarray(0, 330));
    const t = tcpdump("-n", "-r", cut);
    const before = lines(t.stdout).length;
    expect(t.code).toBe(1);
    expect(before).toBeGreaterThan(0);
    const [json, stats] = await Promise.all([
      vnet("inspect", "--json", cut),
      vnet("inspect", "--stats", "--json", cut),
    ]);
    for (const r of [json, stats]) {
      expect(crashSigns(r)).toEqual([]);
      expect(r.code).toBe(1);
      expect(vnetReason(r.stderr, cut)).toBe(tcpdumpReason(t.stderr));
    }
    expect(parseJsonLines(json.stdout).map((o) => o.line)).toEqual(lines(t.stdout));
    expect(parseJsonLines(stats.stdout).find((o) => o.type === "summary")?.packets).toBe(before);
  });

  it("-c N stops after N packets in every mode", async () => {
    const f = C("tcpdump/QinQpacket.pcap");
    const [text, json, stats] = await Promise.all([
      vnet("inspect", "-c", "5", f),
      vnet("inspect", "-c", "2", "--json", f),
      vnet("inspect", "-c", "7", "--stats", "--json", f),
    ]);
    expect(text.stdout).toBe(tcpdump("-c", "5", "-n", "-r", f).stdout);
    expect(parseJsonLines(json.stdout).map((o) => o.number)).toEqual([1, 2]);
    expect(parseJsonLines(stats.stdout).find((o) => o.type === "summary")?.packets).toBe(7);
  });
});

// ------------------------------------------------------------------------------------------ convert

describe.skipIf(!haveShared || skipTcpdump)("vnet convert", () => {
  it("pcap → pcapng → pcap and pcapng → pcap → pcapng: tcpdump prints the same lines", async () => {
    for (const [src, chain] of [
      ["tcpdump/dns_tcp.pcap", ["a.pcapng", "b.pcap"]],
      ["tcpdump/tcp-handshake-nano.pcap", ["a.pcapng", "b.pcap"]],
      ["tcpdump/icmpv6-length-zero.pcapng", ["a.pcap", "b.pcapng"]],
    ] as const) {
      const want = tcpdump("-#", "-n", "-r", C(src));
      expect(want.code).toBe(0);
      let from = C(src);
      for (const step of chain) {
        const to = join(tmp, `${src.replace(/\W/g, "_")}-${step}`);
        const r = await vnet("convert", from, to);
        expect(r.code, `${from} -> ${to}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toBe("");
        const got = tcpdump("-#", "-n", "-r", to);
        expect(got.code, to).toBe(0);
        expect(got.stdout, to).toBe(want.stdout);
        from = to;
      }
    }
  });

  it("classic pcap through pcapng and back is byte for byte the original (µs, little-endian)", async () => {
    // dns_tcp.pcap is a little-endian µs 2.4 file, the format vnet writes.
    const a = join(tmp, "rt.pcapng");
    const b = join(tmp, "rt.pcap");
    expect((await vnet("convert", C("tcpdump/dns_tcp.pcap"), a)).code).toBe(0);
    expect((await vnet("convert", a, b)).code).toBe(0);
    expect(readFileSync(b).equals(readFileSync(C("tcpdump/dns_tcp.pcap")))).toBe(true);
  });

  it("to a path in a missing directory: one clear line, exit 1, no file", async () => {
    const out = join(tmp, "no-such-dir", "x.pcapng");
    const r = await vnet("convert", C("tcpdump/dns_tcp.pcap"), out);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual([
      `vnet: ${out}: cannot write: directory ${join(tmp, "no-such-dir")} does not exist`,
    ]);
    expect(existsSync(join(tmp, "no-such-dir"))).toBe(false);
  });

  it("a malformed input: one error line, exit 1, the output neither created nor replaced, no temporary left", async () => {
    const dir = mkdtempSync(join(tmp, "conv-"));
    const cut = join(dir, "cut.pcap");
    // dns_tcp.pcap cut inside its third record's data.
    writeFileSync(cut, readFileSync(C("tcpdump/dns_tcp.pcap")).subarray(0, 250));
    const fresh = join(dir, "fresh.pcapng");
    const r = await vnet("convert", cut, fresh);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(vnetReason(r.stderr, cut)).toBe(tcpdumpReason(tcpdump("-n", "-r", cut).stderr));
    expect(existsSync(fresh)).toBe(false);
    const old = join(dir, "old.pcapng");
    writeFileSync(old, "previous contents");
    expect((await vnet("convert", cut, old)).code).toBe(1);
    expect(readFileSync(old, "utf8")).toBe("previous contents");
    expect(readdirSync(dir).sort()).toEqual(["cut.pcap", "old.pcapng"]);
  });

  it("an output name without a known extension needs --format (usage error, exit 2)", async () => {
    const out = join(tmp, "capture.bin");
    const r = await vnet("convert", C("tcpdump/dns_tcp.pcap"), out);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    const ok = await vnet("convert", "--format", "pcapng", C("tcpdump/dns_tcp.pcap"), out);
    expect(ok.code).toBe(0);
    expect(tcpdump("-n", "-r", out).stdout).toBe(tcpdump("-n", "-r", C("tcpdump/dns_tcp.pcap")).stdout);
  });
});

// ------------------------------------------------------------------------- usage and file errors

describe("usage and file errors: one line, the documented exit code", () => {
  const sample = haveShared ? C("tcpdump/dns_udp.pcap") : join(repo, "package.json");

  it.each([
    ["an unknown command", ["frobnicate", "x.pcap"], /^vnet: unknown command "frobnicate"/],
    ["an unknown long option", ["inspect", "--bogus", sample], /^vnet: unknown option --bogus /],
    ["an unknown short option", ["inspect", "-Z", sample], /^vnet: unknown option -Z /],
    ["no command", [], /^vnet: give a command/],
    ["inspect without a file", ["inspect"], /^vnet: .+ \(see vnet --help\)$/],
    ["convert without an output", ["convert", sample], /^vnet: .+ \(see vnet --help\)$/],
    ["-c 0", ["inspect", "-c", "0", sample], /^vnet: invalid packet count 0$/],
    ["-c abc", ["inspect", "-c", "abc", sample], /^vnet: invalid packet count abc$/],
    ["-ttt", ["inspect", "-ttt", sample], /^vnet: -ttt is not supported/],
  ] as const)("%s: exit 2", async (_what, args, re) => {
    const r = await vnet(...args);
    expect(crashSigns(r)).toEqual([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const e = lines(r.stderr);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(re);
  });

  it("a missing file: `vnet: X: no such file or directory`, exit 1", async () => {
    const missing = join(tmp, "nothere.pcap");
    for (const args of [
      ["inspect", missing],
      ["convert", missing, join(tmp, "out.pcapng")],
    ]) {
      const r = await vnet(...args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr)).toEqual([`vnet: ${missing}: no such file or directory`]);
    }
  });

  it("a directory: `vnet: DIR: is a directory`, exit 1", async () => {
    for (const args of [
      ["inspect", tmp],
      ["convert", tmp, join(tmp, "out.pcap")],
    ]) {
      const r = await vnet(...args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr)).toEqual([`vnet: ${tmp}: is a directory`]);
    }
  });

  it("a file that is not a capture: one error line naming it, exit 1", async () => {
    const f = join(tmp, "notes.txt");
    writeFileSync(f, "this is not a capture file\n");
    const r = await vnet("inspect", f);
    expect(crashSigns(r)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(
      new RegExp(`^vnet: ${escapeRe(f)}: .+ \\(at byte offset \\d+\\)$`),
    );
  });

  it("--help and --version: exit 0, on stdout", async () => {
    const h = await vnet("--help");
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/inspect/);
    expect(h.stdout).toMatch(/convert/);
    const v = await vnet("--version");
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

// ---------------------------------------------------------------------------------------- pipes

describe.skipIf(!haveShared || skipTcpdump)("standard input", () => {
  it("`vnet inspect -` and `vnet convert - OUT` read standard input, as `tcpdump -r -`", async () => {
    const f = C("tcpdump/dns_tcp.pcap");
    const out = join(tmp, "from-stdin.pcapng");
    const script = `"$0" "$1" inspect -c 4 - tcp < "$2" && "$0" "$1" convert - "$3" < "$2"`;
    const r = await run("/bin/bash", ["-c", script, process.execPath, mainJs, f, out]);
    expect(crashSigns(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(tcpdump("-c", "4", "-n", "-r", f, "tcp").stdout);
    expect(tcpdump("-n", "-r", out).stdout).toBe(tcpdump("-n", "-r", f).stdout);
  });
});

describe.skipIf(!haveShared)("a closed pipe", () => {
  it("`vnet inspect -XX F | head -1` ends quietly with exit 0", async () => {
    // -XX -vv on QinQpacket.pcap prints ~430 KB: far more than a pipe holds, so vnet writes after head exits.
    const errFile = join(tmp, "pipe.err");
    const script = `"$0" "$1" inspect -XX -vv "$2" 2>"$3" | head -1; echo "\${PIPESTATUS[0]}"`;
    const r = await run("/bin/bash", [
      "-c",
      script,
      process.execPath,
      mainJs,
      C("tcpdump/QinQpacket.pcap"),
      errFile,
    ]);
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} /);
    expect(out[1]).toBe("0");
    const err = readFileSync(errFile, "latin1");
    expect(err).not.toMatch(/EPIPE|^ {4}at |internal error/m);
    expect(errorLines(err)).toEqual([]);
  });

  it("`vnet --help | head -1` ends quietly too", async () => {
    const script = `"$0" "$1" --help 2>&1 | head -1; echo "\${PIPESTATUS[0]}"`;
    const r = await run("/bin/bash", ["-c", script, process.execPath, mainJs]);
    expect(lines(r.stdout)).toEqual(["vnet <command> [options]", "0"]);
  });
});
