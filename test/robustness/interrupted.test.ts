/**
 * Interrupted runs leave complete, readable captures: `vnet run` killed by SIGINT or SIGTERM mid-run
 * (the built CLI, spawned on a long topology), an exception thrown by a user callback during
 * runTopology, and an exception thrown inside a simulated event of a user script whose capture points
 * are never closed. Every file is read to its end by captures/' reader and by `tcpdump -r`.
 *
 * Why no signal handler in `vnet run`: a run is one synchronous loop in virtual time, so a JS handler
 * would only run after the loop ends (an hour of simulated traffic later). Node's default action
 * (terminate) is the right one, and it is safe because every record is written with one writeSync as
 * it happens (topology/run.ts): the file ends on a record boundary. run.json, the run's completion
 * marker, is written only at the end, so an interrupted directory does not claim to be a whole run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CapturePoint, capture, readCaptureBytes } from "../../captures/index.js";
import { Simulator } from "../../sim/simulator.js";
import { s } from "../../sim/time.js";
import { buildTopology, runTopology, topology } from "../../topology/index.js";

const repo = join(import.meta.dirname, "..", "..");
const mainJs = join(repo, "dist", "cli", "main.js");
const haveTcpdump = spawnSync("tcpdump", ["--version"], { encoding: "utf8" }).status === 0;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vnet-intr-"));
  dirs.push(d);
  return d;
}

/** Reads every capture in `dir` to its end; returns records per file. */
function readAll(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of readdirSync(dir).sort()) {
    if (!/\.pcap(ng)?$/.test(f)) continue;
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    let n = 0;
    for (const rec of readCaptureBytes(bytes, f)) {
      expect(rec.data.byteLength).toBeGreaterThan(0);
      n++;
    }
    out.set(f, n);
    if (haveTcpdump) {
      const r = spawnSync("tcpdump", ["-r", join(dir, f), "-n", "-q"], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
      });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stderr, f).not.toMatch(/truncated|cut short|bogus/i);
      expect(r.stdout.split("\n").filter((l) => l !== "").length, f).toBe(n);
    }
  }
  return out;
}

const LONG = `name: long
duration: 1h
networks:
  lan: { mode: nat }
vms:
  vm1: { nics: [lan] }
  vm2: { nics: [lan] }
traffic:
  - { at: 2s, flow: { from: vm1, to: vm2, port: 5001, rate: 10mbit, size: 1000, duration: 1h } }
`;

describe.skipIf(!existsSync(mainJs))("vnet run killed mid-run", () => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    it(`${sig}: the process ends at once, every capture reads to its end, no run.json`, async () => {
      const d = tmp();
      writeFileSync(join(d, "long.yaml"), LONG);
      const out = join(d, "out");
      const child = spawn(process.execPath, [mainJs, "run", join(d, "long.yaml"), "--capture-dir", out], {
        stdio: "ignore",
      });
      const done = new Promise<{ code: number | null; signal: string | null }>((res) =>
        child.on("exit", (code, signal) => res({ code, signal })),
      );
      // Wait until the flow is well under way (some output), then interrupt.
      const pcap = join(out, "vm1-eth0.pcap");
      for (let i = 0; i < 600 && !(existsSync(pcap) && statSync(pcap).size > 300_000); i++)
        await new Promise((r) => setTimeout(r, 25));
      child.kill(sig);
      const r = await done;
      expect(r.signal ?? r.code).toBe(sig);
      expect(existsSync(join(out, "run.json"))).toBe(false);
      const counts = readAll(out);
      expect(counts.get("vm1-eth0.pcap")).toBeGreaterThan(200);
      expect(counts.has("edges.pcapng")).toBe(true);
    });
  }
});

describe("an exception in user code during a run", () => {
  it("thrown by a runTopology callback mid-run: it propagates, the captures are closed and complete", () => {
    const d = tmp();
    const spec = topology("boom", { duration: s(20) })
      .network("lan", { mode: "nat" })
      .vm("vm1", { nics: ["lan"] })
      .ping(s(2), { from: "vm1", to: "web", count: 100, interval: s(0.1) })
      .build();
    expect(() =>
      runTopology(spec, {
        captureDir: d,
        onProgress: (now) => {
          if (now >= s(5)) throw new Error("user script failed");
        },
      }),
    ).toThrow("user script failed");
    const counts = readAll(d);
    expect(counts.get("vm1-eth0.pcap")).toBeGreaterThan(40);
    expect(existsSync(join(d, "run.json"))).toBe(false);
  });

  it("thrown inside a simulated event, capture points never closed: files are readable up to the fault", () => {
    const d = tmp();
    const sim = new Simulator({ seed: 3 });
    const spec = topology("boom2", { duration: s(20) })
      .network("lan", { mode: "nat" })
      .vm("vm1", { nics: ["lan"] })
      .ping(s(2), { from: "vm1", to: "web", count: 100, interval: s(0.1) })
      .build();
    const points = new Map<string, CapturePoint>();
    buildTopology(spec, sim, {
      onPort: (p) => points.set(p.name, capture(p.nic.nic, { path: join(d, `${p.node}-${p.iface}.pcap`) })),
    });
    sim.at(s(4), () => {
      throw new Error("traffic callback failed");
    });
    expect(() => sim.run({ until: s(20) })).toThrow("traffic callback failed");
    const counts = readAll(d);
    const vm1 = counts.get("vm1-eth0.pcap") ?? 0;
    for (const [name, cp] of points)
      expect(counts.get(`${name.replace(".", "-")}.pcap`), name).toBe(cp.recordCount);
    expect(vm1).toBeGreaterThan(20);
  });
});
