/**
 * `vnet replay`, in process: the command's function with stdout going to a temporary file. The
 * reproduction the issue asks for — `vnet run examples/nat.yaml` into A, `vnet replay A` into B, every
 * file byte for byte equal; and after `vnet replay CAPTURE --into …` into C (whose edges.pcapng then
 * holds packets), `vnet replay C` reproduces C — plus the options and the one-line errors (exit 2).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readCaptureBytes } from "../captures/index.js";
import { readEdgeRecording } from "../topology/index.js";
import { EXIT } from "./errors.js";
import { type ReplayArgs, replayCommand } from "./replay.js";
import { type RunArgs, runCommand } from "./run.js";
import { runInProcess } from "./testing.js";

const NAT_YAML = fileURLToPath(new URL("../examples/nat.yaml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "vnet-replay-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vnetRun = (args: Partial<RunArgs>) =>
  runInProcess(dir, (out, err) => {
    runCommand({ json: false, ...args }, { out, err, progress: false });
    return undefined;
  });
const vnetReplay = (args: Partial<ReplayArgs> & { source: string }) =>
  runInProcess(dir, (out, err) => replayCommand({ json: false, ...args }, { out, err, progress: false }));

/** Every file of `a` is in `b` with the same bytes (and nothing else is in `b`). */
function sameFiles(a: string, b: string): string[] {
  const files = readdirSync(a).sort();
  expect(readdirSync(b).sort()).toEqual(files);
  for (const f of files)
    expect(Buffer.from(readFileSync(join(b, f))).equals(readFileSync(join(a, f))), `${b}/${f}`).toBe(true);
  return files;
}

describe("vnet replay RUN-DIR", () => {
  const A = join(dir, "A");
  const B = join(dir, "B");

  it("run examples/nat.yaml into A, replay A into B: every file byte for byte equal", () => {
    const run = vnetRun({ file: NAT_YAML, captureDir: A });
    expect(run.error).toBeNull();
    const rep = vnetReplay({ source: A, captureDir: B });
    expect(rep.error).toBeNull();
    expect(rep.code).toBe(EXIT.ok);
    expect(rep.stdout).toMatch(
      new RegExp(
        `^replay of ${A}: nat, seed 1, 30s, 0 frames from edges.pcapng\n\nnat: seed 1, 30s of virtual time, \\d+ events\n`,
      ),
    );
    expect(rep.stdout).toContain(`reproduced: 7 of 7 captures byte-identical to ${A} (and edges.pcapng)\n`);
    // The same summary as the run's (only the capture directory differs).
    expect(rep.stdout.replaceAll(B, A)).toContain(run.stdout);
    const files = sameFiles(A, B);
    expect(files).toEqual([
      "dns-eth0.pcap",
      "edges.pcapng",
      "gw-eth0.pcap",
      "host-lan.pcap",
      "host-uplink.pcap",
      "run.json",
      "topology.yaml",
      "vm1-eth0.pcap",
      "vm2-eth0.pcap",
      "web-eth0.pcap",
    ]);
    expect(readFileSync(join(A, "topology.yaml"), "utf8")).toBe(readFileSync(NAT_YAML, "utf8"));
    expect(JSON.parse(readFileSync(join(A, "run.json"), "utf8"))).toMatchObject({
      name: "nat",
      seed: 1,
      duration: 30e9,
      topology: "topology.yaml",
      source: NAT_YAML,
      edges: { file: "edges.pcapng", frames: 0 },
    });
  });

  it("--json: the report with a replay field", () => {
    const r = vnetReplay({ source: A, captureDir: join(dir, "Bjson"), json: true });
    const j = JSON.parse(r.stdout);
    expect(j.name).toBe("nat");
    expect(j.pings[0]).toMatchObject({ from: "vm1", to: "vm2", sent: 3, received: 3 });
    expect(j.replay).toMatchObject({
      of: A,
      frames: 0,
      differ: [],
      missing: [],
      edgesIdentical: true,
      ok: true,
    });
    expect(j.replay.identical).toHaveLength(7);
  });

  it("a replay that differs from the recording: exit 1 and one line saying which file", () => {
    const T = join(dir, "tampered");
    mkdirSync(T);
    for (const f of readdirSync(A)) writeFileSync(join(T, f), readFileSync(join(A, f)));
    const rj = JSON.parse(readFileSync(join(T, "run.json"), "utf8"));
    rj.captures[1].sha256 = "f".repeat(64);
    writeFileSync(join(T, "run.json"), JSON.stringify(rj));
    const r = vnetReplay({ source: T, captureDir: join(dir, "T2") });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`NOT reproduced: 6 of 7 captures byte-identical to ${T}\n`);
    expect(r.stderr).toEqual([`vnet: the replay differs from ${T}: vm2-eth0.pcap differs`]);
  });
});

describe("vnet replay CAPTURE --into", () => {
  const C = join(dir, "C");
  const D = join(dir, "D");

  it("vm1's capture into vm2.eth0 of the NAT demo; replaying C (edges.pcapng holds the frames) reproduces it", () => {
    const src = join(dir, "A", "vm1-eth0.pcap");
    const frames = [...readCaptureBytes(readFileSync(src), "src")].length;
    const r = vnetReplay({
      source: src,
      topology: NAT_YAML,
      into: "vm2:eth0",
      speed: "4",
      at: "1s",
      rewriteMac: ["52:54:00:18:2a:e3=52:54:00:00:00:77"],
      captureDir: C,
    });
    expect(r.error).toBeNull();
    expect(r.stdout).toMatch(
      new RegExp(
        `^replay of ${src} into vm2.eth0: ${frames} of ${frames} frames injected from 1s to [0-9.]+s \\(speed 4\\)\n`,
      ),
    );
    const edges = readEdgeRecording(readFileSync(join(C, "edges.pcapng")), "edges.pcapng");
    expect(edges.frames.length).toBe(frames);
    expect(new Set(edges.frames.map((f) => f.edge))).toEqual(new Set(["vm2.eth0"]));
    expect(edges.frames[0].at).toBe(1e9);
    // The rewrite: no injected frame carries vm1's MAC any more.
    const mac = Buffer.from("525400182ae3", "hex");
    expect(edges.frames.some((f) => Buffer.from(f.frame.subarray(0, 12)).includes(mac))).toBe(false);
    expect(JSON.parse(readFileSync(join(C, "run.json"), "utf8")).input).toEqual({
      capture: src,
      into: "vm2.eth0",
      speed: 4,
      at: 1e9,
      rewriteMac: ["52:54:00:18:2a:e3=52:54:00:00:00:77"],
      frames,
    });

    const rep = vnetReplay({ source: C, captureDir: D });
    expect(rep.code).toBe(EXIT.ok);
    expect(rep.stdout).toContain(`${frames} frames from edges.pcapng`);
    expect(rep.stdout).toContain(`reproduced: 7 of 7 captures byte-identical to ${C}`);
    sameFiles(C, D);
  });

  it("--speed max and a generated topology (kept as topology.json)", () => {
    const E = join(dir, "E");
    const r = vnetReplay({
      source: join(dir, "A", "vm2-eth0.pcap"),
      topo: "linear,2",
      into: "h1.eth0",
      speed: "max",
      duration: "2s",
      seed: "5",
      captureDir: E,
      json: true,
    });
    expect(r.error).toBeNull();
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ seed: 5, duration: 2e9, replay: { into: "h1.eth0", speed: "max" } });
    expect(j.replay.injected).toBe(j.replay.frames);
    expect(readdirSync(E)).toContain("topology.json");
    const edges = readEdgeRecording(readFileSync(join(E, "edges.pcapng")), "e");
    expect(new Set(edges.frames.map((f) => f.at))).toEqual(new Set([0]));
    const rep = vnetReplay({ source: E, captureDir: join(dir, "E2") });
    expect(rep.code).toBe(EXIT.ok);
    sameFiles(E, join(dir, "E2"));
  });

  it("bad input: one line, exit 2", () => {
    const cap = join(dir, "A", "vm1-eth0.pcap");
    const bad = join(dir, "bad.pcap");
    writeFileSync(bad, "not a capture at all");
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, readFileSync(cap).subarray(0, 100));
    const raw = join(dir, "raw.pcap");
    const rawBytes = Buffer.from(readFileSync(cap));
    rawBytes.writeUInt32LE(101, 20); // LINKTYPE_RAW
    writeFileSync(raw, rawBytes);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    // A capture that cannot be read is bad input (exit 1, as for vnet inspect).
    const unreadable: [Partial<ReplayArgs> & { source: string }, string][] = [
      [
        { source: join(dir, "none.pcap"), into: "vm1.eth0" },
        `${join(dir, "none.pcap")}: no such file or directory`,
      ],
      [{ source: bad, into: "vm1.eth0" }, `${bad}: unknown file format (at byte offset 0)`],
      [
        { source: cut, into: "vm1.eth0" },
        `${cut}: truncated dump file; tried to read 342 captured bytes, only got 60 (at byte offset 24)`,
      ],
    ];
    for (const [args, message] of unreadable) {
      const r = vnetReplay(args);
      expect({ error: r.error, code: r.code }, JSON.stringify(args)).toEqual({
        error: message,
        code: EXIT.badInput,
      });
    }
    // Wrong arguments are usage errors (exit 2).
    const cases: [Partial<ReplayArgs> & { source: string }, string][] = [
      [
        { source: raw, into: "vm1.eth0" },
        `${raw}: packet 1 has link type RAW (101), not Ethernet: only Ethernet frames can be replayed into a port`,
      ],
      [
        { source: cap, into: "vm9.eth0" },
        'unknown edge "vm9.eth0" (did you mean "vm1.eth0"?); edges (NODE.PORT): vm1.eth0, vm2.eth0, host.uplink, host.lan, gw.eth0, web.eth0, dns.eth0',
      ],
      [
        { source: cap },
        `${cap}: replaying a capture needs --into NODE.PORT (the port its frames enter at), or give a run directory`,
      ],
      [
        { source: cap, into: "vm1.eth0", rewriteMac: ["52:54:00:00:00:01"] },
        '--rewrite-mac: expected OLD=NEW, two MAC addresses (52:54:00:12:34:56=52:54:00:65:43:21), got "52:54:00:00:00:01"',
      ],
      [
        { source: cap, into: "vm1.eth0", speed: "fast" },
        '--speed: expected a number above 0 or max, got "fast"',
      ],
      [
        { source: cap, into: "vm1.eth0", at: "2" },
        expect.stringMatching(/^--at: .*\(no unit\)$/) as unknown as string,
      ],
      [
        { source: empty },
        `${empty}: not a vnet run directory (no run.json; vnet run --capture-dir writes one)`,
      ],
      [
        { source: join(dir, "A"), into: "vm1.eth0" },
        `--into is for replaying a capture; ${join(dir, "A")} is a run directory, replayed as it was recorded`,
      ],
      [
        { source: join(dir, "A"), captureDir: `${join(dir, "A")}/` },
        `--capture-dir ${join(dir, "A")}/ is the run directory itself: give another one`,
      ],
    ];
    for (const [args, message] of cases) {
      const r = vnetReplay(args);
      expect({ error: r.error, code: r.code }, JSON.stringify(args)).toEqual({
        error: message,
        code: EXIT.usage,
      });
    }
    expect(existsSync("vnet-nat-replay")).toBe(false); // nothing ran
  });
});
