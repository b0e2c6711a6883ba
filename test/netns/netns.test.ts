/**
 * The namespace lab itself: frames injected at one end of a veth come out of the other byte for byte,
 * tcpdump's `-Q in` keeps only arriving frames, and nothing is left behind.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NETNS_PREFIX, NetnsLab, netnsSupport } from "./netns.js";

const support = netnsSupport();
if (!support.ok && !process.env.CI) console.log(`netns harness tests skipped: ${support.reason}`);

function frame(dst: number, src: number, seq: number, len = 60): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, dst, 0x02, 0, 0, 0, 0, src, 0x88, 0xb5, 0, seq]);
  for (let i = 16; i < len; i++) f[i] = (i * 7 + seq) & 0xff;
  return f;
}

describe("netns harness", () => {
  it.runIf(!support.ok && !!process.env.CI)("has root and the tools in CI", () => {
    throw new Error(support.ok ? "" : support.reason);
  });

  it.runIf(support.ok)(
    "veth: injected frames arrive byte for byte, in order; cleanup leaves nothing",
    async () => {
      const lab = NetnsLab.create();
      const prefix = lab.prefix;
      try {
        const a = lab.addNamespace("a");
        const b = lab.addNamespace("b");
        lab.addVeth(a, "va", b, "vb");
        const capB = await lab.startCapture(b, "vb");
        const capA = await lab.startCapture(a, "va");
        // veth does not pad: a 42-byte frame stays 42 bytes (REAL-VMS.md).
        const sent = [frame(2, 1, 1), frame(0xff, 1, 2, 42), frame(2, 1, 3, 1514)];
        lab.inject(a, "va", sent);
        await new Promise((r) => setTimeout(r, 200));
        const gotB = await capB.stop();
        const gotA = await capA.stop();
        expect(gotB).toEqual(sent);
        expect(gotA).toEqual([]); // -Q in: what va sent is not captured on va
      } finally {
        await lab.destroy();
      }
      const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
      expect(left).not.toContain(prefix);
      expect(prefix.startsWith(NETNS_PREFIX)).toBe(true);
    },
  );
});
