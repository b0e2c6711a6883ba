/** ICMPv4 as tcpdump 4.99.3 prints it (print-icmp.c; RFC 4884 extension objects are not decoded). */
import { internetChecksum } from "../../wire/checksum.js";
import { localCatch, type PrintContext, tcheck, u8, u16, u32 } from "./context.js";
import { cksumShouldBe, ipPrint } from "./ip.js";
import { hex, hex8, ip4At } from "./util.js";

const SIMPLE = new Map<number, string>([
  [0, "echo reply"],
  [4, "source quench"],
  [8, "echo request"],
  [10, "router solicitation"],
  [13, "time stamp request"],
  [14, "time stamp reply"],
  [15, "information request"],
  [16, "information reply"],
  [17, "address mask request"],
]);

const UNREACH = new Map<number, [string, string]>([
  [0, ["net ", " unreachable"]],
  [1, ["host ", " unreachable"]],
  [5, ["", " unreachable - source route failed"]],
  [6, ["net ", " unreachable - unknown"]],
  [7, ["host ", " unreachable - unknown"]],
  [8, ["", " unreachable - source host isolated"]],
  [9, ["net ", " unreachable - admin prohibited"]],
  [10, ["host ", " unreachable - admin prohibited"]],
  [11, ["net ", " unreachable - tos prohibited"]],
  [12, ["host ", " unreachable - tos prohibited"]],
  [13, ["host ", " unreachable - admin prohibited filter"]],
  [14, ["host ", " unreachable - host precedence violation"]],
  [15, ["host ", " unreachable - precedence cutoff"]],
]);

const d2 = (n: number): string => (n < 10 ? "0" : "") + n;
function tstamp(t: number): string {
  const ms = t % 1000;
  let sec = Math.floor(t / 1000);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hrs = Math.floor(min / 60);
  min -= hrs * 60;
  return `${d2(hrs)}:${d2(min)}:${d2(sec)}.${String(ms).padStart(3, "0")}`;
}

function isErrType(t: number): boolean {
  return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
}

export function icmpPrint(
  p: PrintContext,
  b: Uint8Array,
  plen: number,
  _iph: Uint8Array,
  fragmented: boolean,
): void {
  p.proto = "icmp";
  try {
    icmpBody(p, b, plen, fragmented);
  } catch (e) {
    localCatch(p, "icmp", e);
  }
}

function icmpBody(p: PrintContext, b: Uint8Array, plen: number, fragmented: boolean): void {
  const type = u8(b, 0);
  const code = u8(b, 1);
  let str: string;
  switch (type) {
    case 0:
    case 8:
      str = `echo ${type === 8 ? "request" : "reply"}, id ${u16(b, 4)}, seq ${u16(b, 6)}`;
      break;
    case 3:
      if (code === 2) str = `${ip4At(b, 24)} protocol ${u8(b, 17)} unreachable`;
      else if (code === 3) {
        tcheck(b, 17, 1);
        const hlen = (u8(b, 8) & 0x0f) * 4;
        const dport = u16(b, 8 + hlen + 2);
        const proto = u8(b, 17);
        if (proto === 6) str = `${ip4At(b, 24)} tcp port ${dport} unreachable`;
        else if (proto === 17) str = `${ip4At(b, 24)} udp port ${dport} unreachable`;
        else str = `${ip4At(b, 24)} protocol ${proto} port ${dport} unreachable`;
      } else if (code === 4) {
        const mtu = u16(b, 6);
        str = mtu
          ? `${ip4At(b, 24)} unreachable - need to frag (mtu ${mtu})`
          : `${ip4At(b, 24)} unreachable - need to frag`;
      } else {
        const u = UNREACH.get(code);
        str = u ? u[0] + ip4At(b, 24) + u[1] : `${ip4At(b, 24)} unreachable - #${code}`;
      }
      break;
    case 5: {
      const names = [
        "redirect %s to net %s",
        "redirect %s to host %s",
        "redirect-tos %s to net %s",
        "redirect-tos %s to host %s",
      ];
      const dst = ip4At(b, 24);
      const gw = ip4At(b, 4);
      if (code < 4) {
        const [a, c] = names[code].split("%s");
        str = `${a}${dst}${c}${gw}`;
      } else str = `redirect-#${code} ${dst} to ${gw}`;
      break;
    }
    case 9: {
      tcheck(b, 4, 4);
      str = "router advertisement lifetime ";
      const lt = u16(b, 6);
      if (lt < 60) str += `${lt}`;
      else if (lt < 3600) str += `${Math.floor(lt / 60)}:${d2(lt % 60)}`;
      else str += `${Math.floor(lt / 3600)}:${d2(Math.floor((lt % 3600) / 60))}:${d2(lt % 60)}`;
      let num = u8(b, 4);
      str += ` ${num}:`;
      const size = u8(b, 5);
      if (size !== 2) {
        str += ` [size ${size}]`;
        break;
      }
      let off = 8;
      while (num > 0) {
        tcheck(b, off, 8);
        str += ` {${ip4At(b, off)} ${u32(b, off + 4)}}`;
        off += 8;
        num--;
      }
      break;
    }
    case 11:
      tcheck(b, 24, 4);
      str =
        code === 0
          ? "time exceeded in-transit"
          : code === 1
            ? "ip reassembly time exceeded"
            : `time exceeded-#${code}`;
      break;
    case 12:
      str = code ? `parameter problem - code ${code}` : `parameter problem - octet ${u8(b, 4)}`;
      break;
    case 18:
      str = `address mask is 0x${hex8(u32(b, 8))}`;
      break;
    case 13:
      str = `time stamp query id ${u16(b, 4)} seq ${u16(b, 6)}`;
      break;
    case 14:
      tcheck(b, 16, 4);
      str = `time stamp reply id ${u16(b, 4)} seq ${u16(b, 6)}: org ${tstamp(u32(b, 8))}, recv ${tstamp(
        u32(b, 12),
      )}, xmit ${tstamp(u32(b, 16))}`;
      break;
    default:
      str = SIMPLE.get(type) ?? `type-#${type}`;
  }
  p.out(`ICMP ${str}, length ${plen}`);
  if (p.opts.verbose && !fragmented && plen <= b.byteLength) {
    const sum = internetChecksum(b.subarray(0, plen));
    if (sum !== 0) {
      const field = u16(b, 2);
      p.out(` (wrong icmp cksum ${hex(field)} (->${hex(cksumShouldBe(field, sum))})!)`);
    }
  }
  if (p.opts.verbose && isErrType(type)) {
    p.out("\n\t");
    const inner = b.subarray(Math.min(8, b.byteLength));
    const ipLen = u16(inner, 2);
    ipPrint(p, inner.subarray(0, Math.min(ipLen, inner.byteLength)), ipLen);
  }
  p.proto = "icmp";
  if (p.opts.verbose && plen > 136 && (type === 3 || type === 11 || type === 12)) {
    tcheck(b, 0, 140);
    if (b[5] === 0 && 136 + (plen - 136) <= b.byteLength) {
      if (internetChecksum(b.subarray(136, plen)) !== 0) return;
    }
    p.out(`\n\tICMP Multi-Part extension v${b[136] >> 4}`);
    if (b[136] >> 4 !== 2) p.out(" packet not supported");
  }
}
