/** ARP / RARP as tcpdump 4.99.3 prints them (print-arp.c; ATM ARP is not decoded). */
import { need, type PrintContext, u8, u16 } from "./context.js";
import { defaultPrint, etherTypeName } from "./ether.js";
import { hex4, ip4At, linkAddrAt, macAt } from "./util.js";

const HRD_NAMES = new Map<number, string>([
  [1, "Ethernet"],
  [6, "TokenRing"],
  [7, "ArcNet"],
  [15, "FrameRelay"],
  [19, "ATM"],
  [23, "Strip"],
  [24, "IEEE 1394"],
  [32, "InfiniBand"],
]);
const OP_NAMES = new Map<number, string>([
  [1, "Request"],
  [2, "Reply"],
  [3, "Reverse Request"],
  [4, "Reverse Reply"],
  [8, "Inverse Request"],
  [9, "Inverse Reply"],
  [10, "NACK Reply"],
]);

function linkAddr(b: Uint8Array, off: number, len: number): string {
  return len === 6 ? macAt(b, off) : linkAddrAt(b, off, len);
}

export function arpPrint(p: PrintContext, b: Uint8Array, length: number): void {
  p.proto = "arp";
  need(b, 0, 8);
  const hrd = u16(b, 0);
  const pro = u16(b, 2);
  const hln = u8(b, 4);
  const pln = u8(b, 5);
  const op = u16(b, 6);
  const sha = 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  need(b, tpa, pln);
  if (!p.opts.linkHeader) p.out("ARP, ");
  const ipish = pro === 0x0800 || pro === 0x1000;
  const v = p.opts.verbose > 0;
  if (!ipish || pln !== 4 || hln === 0 || v) {
    const proName = etherTypeName(pro) ?? `Unknown Protocol (0x${hex4(pro)})`;
    p.out(`${HRD_NAMES.get(hrd) ?? `Unknown Hardware (${hrd})`} (len ${hln}), ${proName} (len ${pln})`);
    if (!v) {
      p.out(`, length ${length}`);
      return;
    }
  }
  const ipAddr = (off: number): string =>
    !ipish ? "<wrong proto type>" : pln !== 4 ? "<wrong len>" : ip4At(b, off);
  p.out(`${v ? ", " : ""}${OP_NAMES.get(op) ?? `Unknown (${op})`} `);
  switch (op) {
    case 1: {
      p.out("who-has ");
      p.out(ipAddr(tpa));
      need(b, tha, hln);
      let nz = false;
      for (let i = 0; i < hln; i++) if (b[tha + i] !== 0) nz = true;
      if (nz) p.out(` (${linkAddr(b, tha, hln)})`);
      p.out(" tell ");
      p.out(ipAddr(spa));
      break;
    }
    case 2:
      p.out(ipAddr(spa));
      p.out(` is-at ${linkAddr(b, sha, hln)}`);
      break;
    case 3:
      p.out(`who-is ${linkAddr(b, tha, hln)}`);
      p.out(` tell ${linkAddr(b, sha, hln)}`);
      break;
    case 4:
      p.out(`${linkAddr(b, tha, hln)} at `);
      p.out(ipAddr(tpa));
      break;
    case 8:
      p.out(`who-is ${linkAddr(b, tha, hln)}`);
      p.out(` tell ${linkAddr(b, sha, hln)}`);
      break;
    case 9:
      p.out(`${linkAddr(b, sha, hln)} at `);
      p.out(ipAddr(spa));
      break;
    default:
      defaultPrint(p, b, b.byteLength);
      return;
  }
  p.out(`, length ${length}`);
}
