import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_KNOWN, KNOWN, knownDifference } from "./known.js";

/** The ids docs/fidelity.md documents: its "### `id`" headings. */
function documentedIds(): string[] {
  const text = readFileSync(new URL("../../docs/fidelity.md", import.meta.url), "utf8");
  return [...text.matchAll(/^### `([^`]+)`\s*$/gm)].map((m) => m[1]);
}

describe("documented differences", () => {
  it("known.ts (with the groups' lists) and docs/fidelity.md list the same ids, both ways", () => {
    const inCode = ALL_KNOWN.map((k) => k.id).sort();
    const inDocs = documentedIds().sort();
    expect(
      inDocs,
      "ids in docs/fidelity.md vs test/fidelity/known.ts (+ vlan-known.ts, dhcp-known.ts)",
    ).toEqual(inCode);
  });

  it("ids are unique, kebab-case, and each has a one-line summary", () => {
    const ids = ALL_KNOWN.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const k of ALL_KNOWN) {
      expect(k.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(k.summary.length).toBeGreaterThan(10);
      expect(k.summary).not.toContain("\n");
    }
    expect(documentedIds().length).toBe(new Set(documentedIds()).size);
  });

  it("knownDifference finds every id and refuses an unknown one", () => {
    for (const k of KNOWN) expect(knownDifference(k.id)).toBe(k);
    expect(() => knownDifference("no-such-difference")).toThrow(/no-such-difference/);
  });
});
