import { closeSync, openSync, writeSync } from "node:fs";
import type { Ipv4 } from "../wire/addr.js";
import { internetChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6 } from "../wire/checksum.js";

/**
 * Writes a classic µs pcap of `count` real-looking Ethernet frames of mixed sizes (TCP data and
 * acks, UDP, ICMP echo, ARP, IPv6/UDP), with valid IPv4 and L4 checksums, so that readers and
 * printers do their full work. Deterministic: a fixed xorshift sequence picks each frame.
 */
export function writeMixedPcap(path: string, count: number): { packets: number; bytes: number } {
  const fd = openSync(path, "w");
  const chunk = new Uint8Array(4 << 20);
  const dv = new DataView(chunk.buffer);
  let used = 0;
  const flush = () => {
    writeSync(fd, chunk, 0, used);
    used = 0;
  };
  // File header: magic, 2.4, thiszone 0, sigfigs 0, snaplen 262144, EN10MB.
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, 1, true);
  used = 24;
  let seed = 0x9e3779b9;
  const next = () => {
    // xorshift32: cheap, deterministic, good enough to mix frame kinds and sizes.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed >>> 4;
  };
  let sec = 1_700_000_000;
  let usec = 0;
  let bytes = 0;
  const frame = new Uint8Array(1514);
  for (let i = 0; i < count; i++) {
    const r = next();
    const kind = r % 10;
    let len: number;
    if (kind < 4) len = buildTcp(frame, i, r, kind === 0 ? 0 : kind === 1 ? 1448 : (r >>> 4) % 600);
    else if (kind < 7) len = buildUdp(frame, i, r, 18 + ((r >>> 4) % 400));
    else if (kind === 7) len = buildIcmp(frame, i, 56);
    else if (kind === 8) len = buildArp(frame, i);
    else len = buildUdp6(frame, i, r, 20 + ((r >>> 4) % 200));
    usec += 7 + (r % 50);
    if (usec >= 1_000_000) {
      sec++;
      usec -= 1_000_000;
    }
    if (used + 16 + len > chunk.length) flush();
    dv.setUint32(used, sec, true);
    dv.setUint32(used + 4, usec, true);
    dv.setUint32(used + 8, len, true);
    dv.setUint32(used + 12, len, true);
    chunk.set(frame.subarray(0, len), used + 16);
    used += 16 + len;
    bytes += len;
  }
  flush();
  closeSync(fd);
  return { packets: count, bytes };
}

function eth(f: Uint8Array, i: number, etherType: number): void {
  const host = i % 64;
  f.set([0x52, 0x54, 0x00, 0x12, 0x34, host], 0);
  f.set([0x52, 0x54, 0x00, 0x12, 0x35, (host + 1) % 64], 6);
  f[12] = etherType >>> 8;
  f[13] = etherType & 0xff;
}

function ipv4(f: Uint8Array, i: number, proto: number, payloadLen: number): [Ipv4, Ipv4] {
  const dv = new DataView(f.buffer, f.byteOffset);
  const src = (0x0a000000 | ((i % 64) + 2)) >>> 0;
  const dst = (0x0a000100 | ((i % 37) + 2)) >>> 0;
  f[14] = 0x45;
  f[15] = 0;
  dv.setUint16(16, 20 + payloadLen);
  dv.setUint16(18, i & 0xffff);
  dv.setUint16(20, 0x4000);
  f[22] = 64;
  f[23] = proto;
  dv.setUint16(24, 0);
  dv.setUint32(26, src);
  dv.setUint32(30, dst);
  dv.setUint16(24, internetChecksum(f.subarray(14, 34)));
  return [src as Ipv4, dst as Ipv4];
}

function buildTcp(f: Uint8Array, i: number, r: number, dataLen: number): number {
  eth(f, i, 0x0800);
  const tcpLen = 32 + dataLen;
  const [src, dst] = ipv4(f, i, 6, tcpLen);
  const dv = new DataView(f.buffer, f.byteOffset);
  const t = 34;
  dv.setUint16(t, 40000 + (i % 64));
  dv.setUint16(t + 2, r & 1 ? 443 : 80);
  dv.setUint32(t + 4, (i * 1448) >>> 0);
  dv.setUint32(t + 8, (r * 7) >>> 0);
  f[t + 12] = 8 << 4;
  f[t + 13] = dataLen > 0 ? 0x18 : 0x10;
  dv.setUint16(t + 14, 502);
  dv.setUint16(t + 16, 0);
  dv.setUint16(t + 18, 0);
  // nop, nop, TS val ecr
  f.set([1, 1, 8, 10], t + 20);
  dv.setUint32(t + 24, i >>> 0);
  dv.setUint32(t + 28, (i + 1) >>> 0);
  for (let k = 0; k < dataLen; k++) f[t + 32 + k] = (k * 31 + i) & 0xff;
  const seg = f.subarray(t, t + tcpLen);
  dv.setUint16(t + 16, internetChecksum(seg, pseudoHeaderSumV4(src, dst, 6, tcpLen)));
  return t + tcpLen;
}

function buildUdp(f: Uint8Array, i: number, r: number, dataLen: number): number {
  eth(f, i, 0x0800);
  const udpLen = 8 + dataLen;
  const [src, dst] = ipv4(f, i, 17, udpLen);
  const dv = new DataView(f.buffer, f.byteOffset);
  const u = 34;
  dv.setUint16(u, 30000 + (r % 1000));
  dv.setUint16(u + 2, 5000 + (i % 10));
  dv.setUint16(u + 4, udpLen);
  dv.setUint16(u + 6, 0);
  for (let k = 0; k < dataLen; k++) f[u + 8 + k] = (k + i) & 0xff;
  const c = internetChecksum(f.subarray(u, u + udpLen), pseudoHeaderSumV4(src, dst, 17, udpLen));
  dv.setUint16(u + 6, c === 0 ? 0xffff : c);
  return u + udpLen;
}

function buildIcmp(f: Uint8Array, i: number, dataLen: number): number {
  eth(f, i, 0x0800);
  const len = 8 + dataLen;
  ipv4(f, i, 1, len);
  const dv = new DataView(f.buffer, f.byteOffset);
  const c = 34;
  f[c] = i & 1 ? 0 : 8;
  f[c + 1] = 0;
  dv.setUint16(c + 2, 0);
  dv.setUint16(c + 4, 0x1234);
  dv.setUint16(c + 6, i & 0xffff);
  for (let k = 0; k < dataLen; k++) f[c + 8 + k] = k & 0xff;
  dv.setUint16(c + 2, internetChecksum(f.subarray(c, c + len)));
  return c + len;
}

function buildArp(f: Uint8Array, i: number): number {
  eth(f, i, 0x0806);
  f.set([0, 1, 8, 0, 6, 4, 0, 1], 14);
  f.set(f.subarray(6, 12), 22);
  f.set([10, 0, 0, (i % 64) + 2], 28);
  f.set([0, 0, 0, 0, 0, 0], 32);
  f.set([10, 0, 1, (i % 37) + 2], 38);
  return 42;
}

function buildUdp6(f: Uint8Array, i: number, r: number, dataLen: number): number {
  eth(f, i, 0x86dd);
  const dv = new DataView(f.buffer, f.byteOffset);
  const udpLen = 8 + dataLen;
  dv.setUint32(14, 0x60000000);
  dv.setUint16(18, udpLen);
  f[20] = 17;
  f[21] = 64;
  const srcA = f.subarray(22, 38);
  const dstA = f.subarray(38, 54);
  srcA.fill(0);
  dstA.fill(0);
  srcA.set([0xfd, 0, 0, 0, 0, 0, 0, 1], 0);
  srcA[15] = (i % 64) + 2;
  dstA.set([0xfd, 0, 0, 0, 0, 0, 0, 2], 0);
  dstA[15] = (i % 37) + 2;
  const u = 54;
  dv.setUint16(u, 30000 + (r % 1000));
  dv.setUint16(u + 2, 6000);
  dv.setUint16(u + 4, udpLen);
  dv.setUint16(u + 6, 0);
  for (let k = 0; k < dataLen; k++) f[u + 8 + k] = (k * 3) & 0xff;
  const c = internetChecksum(f.subarray(u, u + udpLen), pseudoHeaderSumV6(srcA, dstA, 17, udpLen));
  dv.setUint16(u + 6, c === 0 ? 0xffff : c);
  return u + udpLen;
}
