/**
 * Test helper (cli/vm.test.ts, cli/serve-tap.test.ts): a stand-in "QEMU" for `vnet vm` without QEMU.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A stand-in for QEMU (node): prints a few console lines (one with CR LF, one without a newline) and a
 * line on stderr, sends one broadcast frame (QEMU's stream framing) from each NIC's MAC on each fd
 * named by `addr.str=N`, closes them and exits with FAKE_EXIT (or, with FAKE_STAY, runs until SIGTERM).
 */
export const FAKE_QEMU = `#!/usr/bin/env node
const net = require("node:net");
// FAKE_STAY: keep running (a guest that does not power off) until SIGTERM, as QEMU does ("terminating on signal 15").
if (process.env.FAKE_STAY) {
  process.on("SIGTERM", () => process.stdout.write("terminating on signal 15\\n", () => process.exit(0)));
  setInterval(() => {}, 1000);
}
const argv = process.argv.slice(2);
const name = argv[argv.indexOf("-name") + 1];
const fds = argv.filter((a) => a.startsWith("stream,")).map((a) => Number(/addr\\.str=(\\d+)/.exec(a)[1]));
const macs = argv.filter((a) => a.includes(",mac=")).map((a) => /mac=([0-9a-f:]+)/.exec(a)[1]);
console.log("SeaBIOS (stand-in)\\r");
process.stdout.write(name + " booted on " + fds.length + " NIC(s)\\npartial line without newline");
process.stderr.write("qemu-system-x86_64: warning: a stand-in\\n");
const code = Number(process.env.FAKE_EXIT || "0");
let left = fds.length;
if (left === 0) process.exit(code);
fds.forEach((fd, i) => {
  const s = new net.Socket({ fd, readable: true, writable: true });
  const f = Buffer.alloc(64);
  Buffer.from("ffffffffffff" + macs[i].replaceAll(":", "") + "88b5", "hex").copy(f);
  f.write("hello from " + name, 14);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(f.length);
  s.write(Buffer.concat([len, f]), () => {
    s.end();
    s.on("close", () => { if (--left === 0 && !process.env.FAKE_STAY) setTimeout(() => process.exit(code), 50); });
    s.resume();
  });
});
`;

/** Writes the stand-in as `DIR/fake-qemu` (executable) and returns its path. */
export function writeFakeQemu(dir: string): string {
  const p = join(dir, "fake-qemu");
  writeFileSync(p, FAKE_QEMU);
  chmodSync(p, 0o755);
  return p;
}
