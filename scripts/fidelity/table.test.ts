import { describe, expect, it } from "vitest";
import { FidelityInputError, failedTests, formatReport, parseResults, type ScenarioResult } from "./table.js";

const bridge: ScenarioResult = {
  group: "bridge",
  scenario: "learning and flooding",
  oracle: "Linux 6.18 bridge (netns)",
  ports: [
    { port: "p1", oracle: 2, vnet: 2, equal: 2, differences: [] },
    {
      port: "p2",
      oracle: 3,
      vnet: 3,
      equal: 2,
      differences: [{ index: 1, what: "byte 3", known: "bridge-x" }],
    },
  ],
};
const nat: ScenarioResult = {
  group: "nat",
  scenario: "masquerade",
  oracle: "Linux 6.18 netfilter (netns)",
  ports: [
    { port: "wan", oracle: 1, vnet: 0, equal: 0, differences: [{ index: 0, what: "missing in vnet: x" }] },
  ],
  masked: ["IP ID"],
};

describe("fidelity table", () => {
  it("parses JSON lines and refuses a malformed one, naming its line", () => {
    const text = `${JSON.stringify(bridge)}\n\n${JSON.stringify(nat)}\n`;
    expect(parseResults(text, "r.jsonl")).toEqual([bridge, nat]);
    expect(() => parseResults(`${JSON.stringify(bridge)}\n{"group":1}\n`, "r.jsonl")).toThrow(
      new FidelityInputError("r.jsonl:2: not a scenario result"),
    );
    expect(() => parseResults("nope", "r.jsonl")).toThrow("r.jsonl:1: not JSON");
  });

  it("prints a row per scenario (groups in order), a total line, and the differences", () => {
    const r = formatReport([nat, bridge], []);
    const lines = r.text.split("\n");
    expect(lines[0]).toMatch(
      /^group\s+scenario\s+oracle\s+ports\s+frames oracle\/vnet\s+equal\s+differing doc\/undoc$/,
    );
    expect(lines[2]).toMatch(
      /^bridge\s+learning and flooding\s+Linux 6\.18 bridge \(netns\)\s+2\s+5\/5\s+4\s+1\/0$/,
    );
    expect(lines[3]).toMatch(/^nat\s+masquerade\s+Linux 6\.18 netfilter \(netns\)\s+1\s+1\/0\s+0\s+0\/1$/);
    expect(lines[5]).toMatch(/^total\s+2 scenarios\s+3\s+6\/5\s+4\s+1\/1$/);
    expect(r.text).toContain("  bridge / learning and flooding / p2 #1 [bridge-x]: byte 3");
    expect(r.text).toContain("UNDOCUMENTED differences:\n  nat / masquerade / wan #0: missing in vnet: x");
    expect(r.text).toContain("  IP ID (1)");
    expect(r.ok).toBe(false);
  });

  it("is OK only with results, no undocumented difference and no failed test", () => {
    expect(formatReport([bridge], []).ok).toBe(true);
    expect(formatReport([bridge], [{ file: "f", name: "t" }]).ok).toBe(false);
    expect(formatReport([], []).ok).toBe(false);
    expect(formatReport([], []).text).toContain("No scenario recorded a result");
  });

  it("reads failed tests (and files that failed to load) from vitest's JSON report", () => {
    const report = {
      testResults: [
        {
          name: "/r/test/a.test.ts",
          status: "failed",
          assertionResults: [
            { fullName: "g ok", status: "passed" },
            { fullName: "g bad", status: "failed" },
          ],
        },
        {
          name: "/r/test/b.test.ts",
          status: "failed",
          message: "SyntaxError: x\nmore",
          assertionResults: [],
        },
        {
          name: "/r/test/c.test.ts",
          status: "passed",
          assertionResults: [{ fullName: "s", status: "skipped" }],
        },
      ],
    };
    expect(failedTests(report, "v.json")).toEqual([
      { file: "/r/test/a.test.ts", name: "g bad" },
      { file: "/r/test/b.test.ts", name: "(file failed: SyntaxError: x)" },
    ]);
    expect(() => failedTests({}, "v.json")).toThrow("v.json: not a vitest JSON report");
  });
});
