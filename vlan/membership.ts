import { VLAN_VID_MAX } from "../wire/vlan.js";

/** One VLAN a port belongs to, as `bridge vlan add dev P vid VID [untagged]`. */
export interface VlanMember {
  readonly vid: number;
  /** Egress untagged (the tag is removed on the way out). */
  readonly untagged: boolean;
}

/**
 * A port's VLAN configuration with Linux `vlan_filtering 1` semantics: the PVID that untagged and
 * priority-tagged ingress frames take (0 = none: they are dropped), and the VLANs the port carries.
 */
export interface PortVlans {
  readonly pvid: number;
  readonly vlans: readonly VlanMember[];
}

/** An access port: VLAN `vid` as PVID and egress untagged (`bridge vlan add dev P vid V pvid untagged`). */
export function access(vid: number): PortVlans {
  checkVid(vid);
  return { pvid: vid, vlans: [{ vid, untagged: true }] };
}

export interface TrunkOptions {
  /** The native VLAN: untagged ingress takes it. Default: none (untagged frames are dropped). */
  readonly native?: number;
  /** Carry the native VLAN tagged on egress too (Cisco `vlan dot1q tag native`). Default false. */
  readonly nativeTagged?: boolean;
}

/** A trunk: `vids` egress tagged, plus the native VLAN as PVID (egress untagged unless `nativeTagged`). */
export function trunk(vids: readonly number[], opts: TrunkOptions = {}): PortVlans {
  const vlans: VlanMember[] = [];
  const seen = new Set<number>();
  for (const vid of vids) {
    checkVid(vid);
    if (vid === opts.native || seen.has(vid)) continue;
    seen.add(vid);
    vlans.push({ vid, untagged: false });
  }
  if (opts.native !== undefined) {
    checkVid(opts.native);
    vlans.push({ vid: opts.native, untagged: !opts.nativeTagged });
  }
  return { pvid: opts.native ?? 0, vlans };
}

export class VlanConfigError extends Error {
  override readonly name = "VlanConfigError";
}

/** VIDs 1..4094 are usable (0 is a priority tag, 4095 reserved — IEEE 802.1Q table 9-2). */
export function checkVid(vid: number): void {
  if (!Number.isInteger(vid) || vid < 1 || vid >= VLAN_VID_MAX) {
    throw new VlanConfigError(`VLAN id ${vid} is not in 1..4094`);
  }
}

const MEMBER = 1;
const UNTAGGED = 2;

/**
 * The per-port membership table the bridge consults per frame: one byte per VID (member, untagged),
 * so a lookup is an array read. Mutations keep insertion order for `list()`.
 */
export class VlanMembership {
  readonly #flags = new Uint8Array(VLAN_VID_MAX + 1);
  readonly #order: number[] = [];
  pvid = 0;

  constructor(cfg?: PortVlans) {
    if (cfg) this.set(cfg);
  }

  /** Replaces the whole configuration. */
  set(cfg: PortVlans): void {
    if (cfg.pvid !== 0) checkVid(cfg.pvid);
    for (const v of cfg.vlans) checkVid(v.vid);
    this.#flags.fill(0);
    this.#order.length = 0;
    for (const v of cfg.vlans) this.add(v.vid, { untagged: v.untagged });
    if (cfg.pvid !== 0 && !this.isMember(cfg.pvid)) this.add(cfg.pvid, { untagged: false });
    this.pvid = cfg.pvid;
  }

  /**
   * `bridge vlan add dev P vid V [pvid] [untagged]`. Re-adding replaces the flags, as Linux
   * (__vlan_add_flags): without `pvid`, a VLAN that was the PVID stops being it; without `untagged`,
   * it egresses tagged.
   */
  add(vid: number, opts: { pvid?: boolean; untagged?: boolean } = {}): void {
    checkVid(vid);
    if (this.#flags[vid] === 0) this.#order.push(vid);
    this.#flags[vid] = MEMBER | (opts.untagged ? UNTAGGED : 0);
    if (opts.pvid) this.pvid = vid;
    else if (this.pvid === vid) this.pvid = 0;
  }

  /** `bridge vlan del dev P vid V` (removing the PVID's VLAN clears the PVID, as Linux). */
  delete(vid: number): void {
    checkVid(vid);
    if (this.#flags[vid] === 0) return;
    this.#flags[vid] = 0;
    this.#order.splice(this.#order.indexOf(vid), 1);
    if (this.pvid === vid) this.pvid = 0;
  }

  isMember(vid: number): boolean {
    return (this.#flags[vid] & MEMBER) !== 0;
  }

  isUntagged(vid: number): boolean {
    return (this.#flags[vid] & UNTAGGED) !== 0;
  }

  /** The raw flag byte for `vid` (bit 0 member, bit 1 untagged): the bridge's hot path reads this. */
  flags(vid: number): number {
    return this.#flags[vid];
  }

  /** The configuration, VLANs in the order they were added. */
  list(): PortVlans {
    return {
      pvid: this.pvid,
      vlans: this.#order.map((vid) => ({ vid, untagged: this.isUntagged(vid) })),
    };
  }
}

/** Flag bits of `VlanMembership.flags`. */
export const VlanFlag = { Member: MEMBER, Untagged: UNTAGGED } as const;
