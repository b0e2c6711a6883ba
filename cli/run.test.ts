/**
 * `vnet run`, in process: the command's function with its output going to a temporary file. Checks
 * what the CLI's contract says (cli/README.md): the summary, `--json` with at least `pings: [{from, to,
 * sent, received}]` and `leases: [{vm, mac, ip}]`, pcap files named `<node>-<iface>.pcap`, and bad
 * input as one line naming FILE:LINE:COL with exit code 2.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCaptureBytes } from "../captures/index.js";
import { EXIT } from "./errors.js";
import { type RunArgs, runCommand } from "./run.js";
import { runInProcess } from "./testing.js";

const dir = mkdtempSync(join(tmpdir(), "vnet-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command; returns stdout, or the one error line and exit code it would end with. */
function vnetRun(args: Partial<RunArgs>): { stdout: string; error: string | null; code: number } {
  const { stdout, error, code } = runInProcess(dir, (out, err) => {
    runCommand({ json: false, ...args }, { out, err, progress: false });
    return undefined;
  });
  return { stdout, error, code };
}

describe("vnet run", () => {
  it("runs the built-in NAT demo, prints the summary and where the captures went", () => {
    const captureDir = join(dir, "demo");
    const r = vnetRun({ captureDir });
    expect(r.error).toBeNull();
    expect(r.stdout).toMatch(/^nat: seed 1, 30s of virtual time, \d+ events\n/);
    expect(r.stdout).toContain(
      "  vm1.eth0 52:54:00:18:2a:e3 10.0.2.15/24 via 10.0.2.2 dns 10.0.2.3 from 10.0.2.2\n",
    );
    expect(r.stdout).toContain(
      "  5s vm1 -> web (198.51.100.10):\n    --- 198.51.100.10 ping statistics ---\n    3 packets transmitted, 3 received, 0% packet loss",
    );
    expect(r.stdout).toContain("NAT on host (lan), conntrack -L:\n  ");
    expect(r.stdout).toContain(
      "DHCP leases of lan (server on host):\n  86400 52:54:00:18:2a:e3 10.0.2.15 vm1 ",
    );
    expect(r.stdout).toContain(`7 pcap files in ${captureDir}/ (vnet inspect ${captureDir}/vm1-eth0.pcap)`);
    // The pcaps, and what `vnet replay DIR` needs to reproduce the run (cli/replay.test.ts).
    expect(readdirSync(captureDir).sort()).toEqual([
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
    const records = [...readCaptureBytes(readFileSync(join(captureDir, "vm1-eth0.pcap")), "vm1-eth0.pcap")];
    expect(records.length).toBeGreaterThan(10);
  });

  it("--json: one JSON object with pings and leases", () => {
    const r = vnetRun({ json: true, captureDir: join(dir, "json"), seed: "7", duration: "20s" });
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ name: "nat", seed: 7, duration: 20e9 });
    expect(j.pings[0]).toMatchObject({ from: "vm1", to: "vm2", sent: 3, received: 3 });
    expect(j.leases.map((l: { vm: string; ip: string }) => [l.vm, l.ip])).toEqual([
      ["vm1", "10.0.2.15"],
      ["vm2", "10.0.2.16"],
    ]);
    expect(j.leases[0].mac).toMatch(/^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
  });

  it("a topology file and --topo", () => {
    const file = join(dir, "iso.yaml");
    writeFileSync(
      file,
      "networks: { seg: { mode: isolated, subnet: 10.9.0.0/24 } }\nvms: { a: { nics: [seg] }, b: { nics: [seg] } }\ntraffic: [{ at: 1s, ping: { from: a, to: b, count: 2 } }]\ncaptures: none\n",
    );
    const r = vnetRun({ file, duration: "5s", captureDir: join(dir, "iso") });
    expect(r.stdout).toMatch(/^iso: seed 1, 5s of virtual time/);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    const g = vnetRun({ topo: "linear,3", json: true, captureDir: join(dir, "lin") });
    expect(JSON.parse(g.stdout).pings[0]).toMatchObject({ from: "h1", to: "h3", sent: 3, received: 3 });
  });

  it("bad input: one line, FILE:LINE:COL for a topology, exit code 2", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "networks:\n  lan: { mode: natt }\n");
    expect(vnetRun({ file })).toEqual({
      stdout: "",
      error: `${file}:2:16: networks.lan.mode: expected one of bridged, host-only, routed, nat, isolated, got "natt" (did you mean "nat"?)`,
      code: EXIT.usage,
    });
    expect(vnetRun({ topo: "ring,3" })).toMatchObject({
      error: '--topo: unknown topology "ring"; known: linear, star',
      code: EXIT.usage,
    });
    expect(vnetRun({ duration: "5" })).toMatchObject({
      error: expect.stringMatching(/^--duration: .*got "5" \(no unit\)$/),
      code: EXIT.usage,
    });
    expect(vnetRun({ seed: "x" })).toMatchObject({
      error: "invalid seed x (a whole number 0..4294967295)",
      code: EXIT.usage,
    });
    expect(vnetRun({ file, topo: "star,2" })).toMatchObject({
      error: "give a topology file or --topo, not both",
      code: EXIT.usage,
    });
    // A missing file is bad input (exit 1), named.
    expect(vnetRun({ file: join(dir, "none.yaml") })).toMatchObject({
      error: `${join(dir, "none.yaml")}: no such file or directory`,
      code: EXIT.badInput,
    });
  });
});
