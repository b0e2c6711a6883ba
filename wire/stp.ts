import { type Mac, readMac, writeMac } from "./addr.js";
import { needBytes, viewOf, WireError } from "./errors.js";

/**
 * Spanning-tree BPDUs (IEEE 802.1D-2004 clause 9): Configuration, Topology Change Notification and
 * RST BPDUs, carried in an 802.3 frame with LLC (DSAP 0x42, SSAP 0x42, UI) to 01:80:C2:00:00:00.
 */

/** 01:80:C2:00:00:00, the Bridge Group Address (802.1D-2004 table 7-10). */
export const STP_GROUP_MAC = 0x0180_c200_0000 as Mac;

/** BPDU Type field (802.1D-2004 9.3.1–9.3.3). */
export const BpduType = { Config: 0x00, Rst: 0x02, Tcn: 0x80 } as const;
export type BpduType = (typeof BpduType)[keyof typeof BpduType];

/** Protocol Version Identifier: 0 for STP (Config, TCN), 2 for RSTP, 3 for MSTP (read as RST, 9.3.4). */
export const BpduVersion = { Stp: 0, Rstp: 2, Mstp: 3 } as const;

/** The Port Role field of an RST BPDU's flags (bits 3–4, 9.3.3). */
export const BpduRole = { Unknown: 0, AlternateBackup: 1, Root: 2, Designated: 3 } as const;
export type BpduRole = (typeof BpduRole)[keyof typeof BpduRole];

/** Flag bits (9.3.1 for Config: TC and TCA only; 9.3.3 for RST: all). */
export const BpduFlagBit = {
  TopologyChange: 0x01,
  Proposal: 0x02,
  RoleMask: 0x0c,
  Learning: 0x10,
  Forwarding: 0x20,
  Agreement: 0x40,
  TopologyChangeAck: 0x80,
} as const;

/** Lengths of the BPDU (after the LLC header): TCN 4, Config 35, RST 36 (9.3.4). */
export const BPDU_TCN_LEN = 4;
export const BPDU_CONFIG_LEN = 35;
export const BPDU_RST_LEN = 36;
/** Destination, source, 802.3 length, then LLC DSAP/SSAP/control. */
export const BPDU_LLC_OFFSET = 14;
export const BPDU_OFFSET = 17;
const MIN_FRAME = 60;

/** A bridge identifier: 4-bit priority (multiple of 4096), 12-bit system ID extension, MAC (9.2.5). */
export interface BridgeId {
  readonly priority: number;
  readonly systemId: number;
  readonly mac: Mac;
}

export interface BpduFlags {
  readonly topologyChange: boolean;
  readonly proposal: boolean;
  readonly role: BpduRole;
  readonly learning: boolean;
  readonly forwarding: boolean;
  readonly agreement: boolean;
  readonly topologyChangeAck: boolean;
}

/** A Topology Change Notification BPDU (4 bytes). */
export interface TcnBpduRepr {
  readonly type: typeof BpduType.Tcn;
  readonly version: number;
}

/** A Configuration (type 0, 35 bytes) or RST (type 2, 36 bytes) BPDU. Times in 1/256 s. */
export interface ConfigBpduRepr {
  readonly type: typeof BpduType.Config | typeof BpduType.Rst;
  readonly version: number;
  readonly flags: BpduFlags;
  readonly rootId: BridgeId;
  readonly rootPathCost: number;
  readonly bridgeId: BridgeId;
  readonly portId: number;
  readonly messageAge: number;
  readonly maxAge: number;
  readonly helloTime: number;
  readonly forwardDelay: number;
  /** Version 1 Length (RST only; 0 for RSTP). Ignored for Config BPDUs. */
  readonly version1Length: number;
}

export type BpduRepr = TcnBpduRepr | ConfigBpduRepr;

/** A view over the BPDU bytes (what follows the LLC header). */
export class StpBpdu {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /**
   * Validates as 802.1D-2004 9.3.4: protocol identifier 0; type Config with ≥ 35 bytes, type TCN with
   * ≥ 4, or version ≥ 2 and type RST with ≥ 36 (an MSTP BPDU is therefore read as its RST part).
   */
  static checked(bytes: Uint8Array): StpBpdu {
    needBytes("stp", bytes, BPDU_TCN_LEN);
    const b = new StpBpdu(bytes);
    if (b.protocolId !== 0) throw new WireError("stp", "unsupported", 0, `protocol id ${b.protocolId}`);
    const t = b.type;
    if (t === BpduType.Config) needBytes("stp", bytes, BPDU_CONFIG_LEN, "configuration BPDU");
    else if (t === BpduType.Rst) {
      if (b.version < BpduVersion.Rstp)
        throw new WireError("stp", "malformed", 2, `RST BPDU with version ${b.version}`);
      needBytes("stp", bytes, BPDU_RST_LEN, "RST BPDU");
    } else if (t !== BpduType.Tcn)
      throw new WireError("stp", "unsupported", 3, `BPDU type 0x${t.toString(16)}`);
    return b;
  }
  static unchecked(bytes: Uint8Array): StpBpdu {
    return new StpBpdu(bytes);
  }
  get protocolId(): number {
    return this.#dv.getUint16(0);
  }
  get version(): number {
    return this.bytes[2];
  }
  get type(): number {
    return this.bytes[3];
  }
  get flags(): number {
    return this.bytes[4];
  }
  get rootId(): BridgeId {
    return readBridgeId(this.bytes, 5);
  }
  get rootPathCost(): number {
    return this.#dv.getUint32(13);
  }
  get bridgeId(): BridgeId {
    return readBridgeId(this.bytes, 17);
  }
  get portId(): number {
    return this.#dv.getUint16(25);
  }
  get messageAge(): number {
    return this.#dv.getUint16(27);
  }
  get maxAge(): number {
    return this.#dv.getUint16(29);
  }
  get helloTime(): number {
    return this.#dv.getUint16(31);
  }
  get forwardDelay(): number {
    return this.#dv.getUint16(33);
  }
  get version1Length(): number {
    return this.bytes[35];
  }
}

function readBridgeId(b: Uint8Array, off: number): BridgeId {
  const p = (b[off] << 8) | b[off + 1];
  return { priority: p & 0xf000, systemId: p & 0x0fff, mac: readMac(b, off + 2) };
}

function writeBridgeId(b: Uint8Array, off: number, id: BridgeId): void {
  if (!Number.isInteger(id.priority) || id.priority < 0 || id.priority > 0xf000 || id.priority % 4096 !== 0)
    throw new WireError("stp", "malformed", off, `bridge priority ${id.priority} is not a multiple of 4096`);
  if (!Number.isInteger(id.systemId) || id.systemId < 0 || id.systemId > 0xfff)
    throw new WireError("stp", "malformed", off, `system id extension ${id.systemId}`);
  const p = id.priority | id.systemId;
  b[off] = p >>> 8;
  b[off + 1] = p & 0xff;
  writeMac(b, off + 2, id.mac);
}

export function decodeBpduFlags(f: number): BpduFlags {
  return {
    topologyChange: (f & BpduFlagBit.TopologyChange) !== 0,
    proposal: (f & BpduFlagBit.Proposal) !== 0,
    role: ((f & BpduFlagBit.RoleMask) >>> 2) as BpduRole,
    learning: (f & BpduFlagBit.Learning) !== 0,
    forwarding: (f & BpduFlagBit.Forwarding) !== 0,
    agreement: (f & BpduFlagBit.Agreement) !== 0,
    topologyChangeAck: (f & BpduFlagBit.TopologyChangeAck) !== 0,
  };
}

export function encodeBpduFlags(f: BpduFlags): number {
  return (
    (f.topologyChange ? BpduFlagBit.TopologyChange : 0) |
    (f.proposal ? BpduFlagBit.Proposal : 0) |
    ((f.role & 3) << 2) |
    (f.learning ? BpduFlagBit.Learning : 0) |
    (f.forwarding ? BpduFlagBit.Forwarding : 0) |
    (f.agreement ? BpduFlagBit.Agreement : 0) |
    (f.topologyChangeAck ? BpduFlagBit.TopologyChangeAck : 0)
  );
}

/** The representation of a checked BPDU. */
export function parseBpdu(b: StpBpdu): BpduRepr {
  const type = b.type;
  if (type === BpduType.Tcn) return { type: BpduType.Tcn, version: b.version };
  return {
    type: type as typeof BpduType.Config | typeof BpduType.Rst,
    version: b.version,
    flags: decodeBpduFlags(b.flags),
    rootId: b.rootId,
    rootPathCost: b.rootPathCost,
    bridgeId: b.bridgeId,
    portId: b.portId,
    messageAge: b.messageAge,
    maxAge: b.maxAge,
    helloTime: b.helloTime,
    forwardDelay: b.forwardDelay,
    version1Length: type === BpduType.Rst ? b.version1Length : 0,
  };
}

/** Bytes of the BPDU itself (4, 35 or 36). */
export function bpduLen(r: BpduRepr): number {
  return r.type === BpduType.Tcn ? BPDU_TCN_LEN : r.type === BpduType.Rst ? BPDU_RST_LEN : BPDU_CONFIG_LEN;
}

function u16(v: number, what: string, off: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new WireError("stp", "malformed", off, `${what} ${v}`);
  return v;
}

/** Writes `r` into a view of at least `bpduLen(r)` bytes. */
export function emitBpdu(r: BpduRepr, b: StpBpdu): void {
  const bytes = b.bytes;
  const dv = viewOf(bytes);
  dv.setUint16(0, 0);
  bytes[2] = r.version;
  bytes[3] = r.type;
  if (r.type === BpduType.Tcn) return;
  bytes[4] = encodeBpduFlags(r.flags);
  writeBridgeId(bytes, 5, r.rootId);
  if (!Number.isInteger(r.rootPathCost) || r.rootPathCost < 0 || r.rootPathCost > 0xffff_ffff)
    throw new WireError("stp", "malformed", 13, `root path cost ${r.rootPathCost}`);
  dv.setUint32(13, r.rootPathCost);
  writeBridgeId(bytes, 17, r.bridgeId);
  dv.setUint16(25, u16(r.portId, "port id", 25));
  dv.setUint16(27, u16(r.messageAge, "message age", 27));
  dv.setUint16(29, u16(r.maxAge, "max age", 29));
  dv.setUint16(31, u16(r.helloTime, "hello time", 31));
  dv.setUint16(33, u16(r.forwardDelay, "forward delay", 33));
  if (r.type === BpduType.Rst) {
    if (!Number.isInteger(r.version1Length) || r.version1Length < 0 || r.version1Length > 0xff)
      throw new WireError("stp", "malformed", 35, `version 1 length ${r.version1Length}`);
    bytes[35] = r.version1Length;
  }
}

/**
 * A whole frame: 802.3 header to 01:80:C2:00:00:00 from `src` with the length field (LLC + BPDU),
 * LLC 42 42 03, the BPDU, zero padding to the 60-byte Ethernet minimum (no FCS).
 */
export function buildBpduFrame(r: BpduRepr, src: Mac): Uint8Array {
  const n = bpduLen(r);
  const f = new Uint8Array(Math.max(MIN_FRAME, BPDU_OFFSET + n));
  writeMac(f, 0, STP_GROUP_MAC);
  writeMac(f, 6, src);
  f[12] = 0;
  f[13] = 3 + n;
  f[14] = 0x42;
  f[15] = 0x42;
  f[16] = 0x03;
  emitBpdu(r, StpBpdu.unchecked(f.subarray(BPDU_OFFSET, BPDU_OFFSET + n)));
  return f;
}

/**
 * The BPDU inside an Ethernet frame: checks the 802.3 length field (< 0x600, within the frame) and
 * the LLC header (42 42 03), then validates the BPDU (`StpBpdu.checked`). The destination is not checked.
 */
export function bpduOfFrame(frame: Uint8Array): StpBpdu {
  needBytes("stp", frame, BPDU_OFFSET, "802.3 + LLC header");
  const len = (frame[12] << 8) | frame[13];
  if (len >= 0x600)
    throw new WireError("stp", "unsupported", 12, `EtherType 0x${len.toString(16)}, not 802.3`);
  if (len < 3 || BPDU_LLC_OFFSET + len > frame.byteLength)
    throw new WireError("stp", "bad-length", 12, `802.3 length ${len} for a ${frame.byteLength}-byte frame`);
  if (frame[14] !== 0x42 || frame[15] !== 0x42 || frame[16] !== 0x03)
    throw new WireError("stp", "unsupported", 14, "LLC is not 42 42 03");
  return StpBpdu.checked(frame.subarray(BPDU_OFFSET, BPDU_LLC_OFFSET + len));
}

/** `8000.52:54:00:00:00:01` (tcpdump's form: priority with system id ext in hex, then the MAC). */
export function formatBridgeId(id: BridgeId): string {
  const p = (id.priority | id.systemId).toString(16).padStart(4, "0");
  const m = [];
  for (let i = 5; i >= 0; i--)
    m.push((Math.floor(id.mac / 2 ** (8 * i)) & 0xff).toString(16).padStart(2, "0"));
  return `${p}.${m.join(":")}`;
}
