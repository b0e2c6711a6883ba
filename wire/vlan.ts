import { needBytes, viewOf, WireError } from "./errors.js";
import { ETHERNET_HEADER_LEN, EtherType } from "./ethernet.js";

/**
 * IEEE 802.1Q (C-tag, TPID 0x8100) and 802.1ad (S-tag, TPID 0x88a8) VLAN tags.
 *
 * On the wire a tag is TPID (2 bytes, sitting where the EtherType would be) followed by the TCI
 * (PCP:3 | DEI:1 | VID:12) and the EtherType of what follows. `VlanTag` is a view over the 4 bytes
 * after the TPID (TCI + inner EtherType), so it can be laid over `EthernetFrame.payload` directly when
 * `EthernetFrame.etherType` is a TPID; the TPID itself belongs to the header in front.
 */
export const VlanTpid = {
  Dot1Q: EtherType.VLAN,
  Dot1ad: EtherType.QinQ,
} as const;

/** Bytes a tag occupies inside a frame: TPID + TCI. */
export const VLAN_TAG_LEN = 4;
/** Bytes of the view: TCI + inner EtherType. */
export const VLAN_HEADER_LEN = 4;
/** Default bound on how many stacked tags `walkVlanTags` follows. */
export const MAX_VLAN_TAGS = 8;

export const VLAN_VID_MAX = 0xfff;

/** True for the EtherTypes that announce a VLAN tag (0x8100, 0x88a8). */
export function isVlanTpid(etherType: number): boolean {
  return etherType === VlanTpid.Dot1Q || etherType === VlanTpid.Dot1ad;
}

export class VlanTag {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /** For untrusted bytes: throws WireError("vlan", "truncated") if TCI + EtherType do not fit. */
  static checked(bytes: Uint8Array): VlanTag {
    needBytes("vlan", bytes, VLAN_HEADER_LEN, "tag");
    return new VlanTag(bytes);
  }
  static unchecked(bytes: Uint8Array): VlanTag {
    return new VlanTag(bytes);
  }
  get tci(): number {
    return this.#dv.getUint16(0);
  }
  set tci(v: number) {
    this.#dv.setUint16(0, v);
  }
  /** Priority code point, 0..7. */
  get pcp(): number {
    return this.bytes[0] >>> 5;
  }
  /** Drop eligible indicator (formerly CFI). */
  get dei(): boolean {
    return (this.bytes[0] & 0x10) !== 0;
  }
  /** VLAN identifier, 0..4095 (0: priority tag only, 4095: reserved). */
  get vid(): number {
    return this.tci & VLAN_VID_MAX;
  }
  /** The EtherType (or next TPID) of what follows the tag. */
  get etherType(): number {
    return this.#dv.getUint16(2);
  }
  set etherType(v: number) {
    this.#dv.setUint16(2, v);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(VLAN_HEADER_LEN);
  }
}

export interface VlanRepr {
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
  /** Inner EtherType. */
  readonly etherType: number;
}

export function parseVlan(t: VlanTag): VlanRepr {
  return { pcp: t.pcp, dei: t.dei, vid: t.vid, etherType: t.etherType };
}

function checkTci(pcp: number, vid: number): void {
  if (!Number.isInteger(pcp) || pcp < 0 || pcp > 7) {
    throw new WireError("vlan", "malformed", 0, `pcp ${pcp} is not in 0..7`);
  }
  if (!Number.isInteger(vid) || vid < 0 || vid > VLAN_VID_MAX) {
    throw new WireError("vlan", "malformed", 0, `vid ${vid} is not in 0..4095`);
  }
}

/** TCI from its fields; throws WireError("vlan", "malformed") for out-of-range values. */
export function vlanTci(pcp: number, dei: boolean, vid: number): number {
  checkTci(pcp, vid);
  return (pcp << 13) | (dei ? 0x1000 : 0) | vid;
}

export function emitVlan(r: VlanRepr, t: VlanTag): void {
  t.tci = vlanTci(r.pcp, r.dei, r.vid);
  t.etherType = r.etherType;
}

export function vlanBufferLen(_r: VlanRepr, payloadLen: number): number {
  return VLAN_HEADER_LEN + payloadLen;
}

/** A tag as it sits in a frame: its TPID plus the TCI fields. */
export interface VlanTagSpec {
  readonly tpid: number;
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
}

export interface VlanStackTag extends VlanTagSpec {
  /** Offset of the tag's TPID in the frame. */
  readonly offset: number;
}

export interface VlanStack {
  /** Outermost first. */
  readonly tags: readonly VlanStackTag[];
  /** The EtherType after the last tag (the frame's EtherType when untagged). */
  readonly etherType: number;
  /** Offset in the frame where that EtherType's payload begins. */
  readonly payloadOffset: number;
}

/**
 * Walks the tags after the Ethernet addresses of `frame` (a whole Ethernet II frame). Stops at the
 * first EtherType that is not a TPID. Throws WireError("vlan", "truncated") when a tag does not fit
 * and WireError("vlan", "unsupported") when more than `maxTags` tags are stacked.
 */
export function walkVlanTags(frame: Uint8Array, maxTags = MAX_VLAN_TAGS): VlanStack {
  needBytes("ethernet", frame, ETHERNET_HEADER_LEN);
  const tags: VlanStackTag[] = [];
  let off = 12; // where the current TPID/EtherType sits
  let type = (frame[off] << 8) | frame[off + 1];
  while (isVlanTpid(type)) {
    if (tags.length >= maxTags) {
      throw new WireError("vlan", "unsupported", off, `more than ${maxTags} stacked tags`);
    }
    if (off + 2 + VLAN_HEADER_LEN > frame.byteLength) {
      throw new WireError("vlan", "truncated", frame.byteLength, `tag at offset ${off} needs 6 bytes`);
    }
    const b0 = frame[off + 2];
    tags.push({
      tpid: type,
      pcp: b0 >>> 5,
      dei: (b0 & 0x10) !== 0,
      vid: ((b0 & 0x0f) << 8) | frame[off + 3],
      offset: off,
    });
    off += VLAN_TAG_LEN;
    type = (frame[off] << 8) | frame[off + 1];
  }
  return { tags, etherType: type, payloadOffset: off + 2 };
}

/**
 * Returns a NEW frame with `tag` inserted as the outermost tag (right after the source MAC), as Linux's
 * vlan_insert_tag does. The input frame is not modified.
 */
export function pushTag(frame: Uint8Array, tag: VlanTagSpec): Uint8Array {
  needBytes("ethernet", frame, ETHERNET_HEADER_LEN);
  const tci = vlanTci(tag.pcp, tag.dei, tag.vid);
  if (!Number.isInteger(tag.tpid) || tag.tpid < 0 || tag.tpid > 0xffff) {
    throw new WireError("vlan", "malformed", 0, `tpid ${tag.tpid} is not a 16-bit value`);
  }
  const out = new Uint8Array(frame.byteLength + VLAN_TAG_LEN);
  out.set(frame.subarray(0, 12), 0);
  out[12] = tag.tpid >>> 8;
  out[13] = tag.tpid & 0xff;
  out[14] = tci >>> 8;
  out[15] = tci & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}

/**
 * Returns the outermost tag (PCP and DEI included) and a NEW frame without it. The input frame is not
 * modified. Throws WireError("vlan", "unsupported") if the frame is untagged, "truncated" if the tag
 * does not fit.
 */
export function popTag(frame: Uint8Array): { readonly frame: Uint8Array; readonly tag: VlanTagSpec } {
  needBytes("ethernet", frame, ETHERNET_HEADER_LEN);
  const tpid = (frame[12] << 8) | frame[13];
  if (!isVlanTpid(tpid)) {
    throw new WireError("vlan", "unsupported", 12, `frame is not tagged (ethertype 0x${tpid.toString(16)})`);
  }
  needBytes("vlan", frame, ETHERNET_HEADER_LEN + VLAN_TAG_LEN, "tagged frame");
  const b0 = frame[14];
  const tag: VlanTagSpec = {
    tpid,
    pcp: b0 >>> 5,
    dei: (b0 & 0x10) !== 0,
    vid: ((b0 & 0x0f) << 8) | frame[15],
  };
  const out = new Uint8Array(frame.byteLength - VLAN_TAG_LEN);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return { frame: out, tag };
}
