import { Port } from "../netdev/port.js";
import { isVlanTpid, pushTag, type VlanTagSpec, VlanTpid } from "../wire/vlan.js";
import { checkVid, VlanConfigError } from "./membership.js";

export interface SubInterfaceOptions {
  /** Child port name; default `${parent.name}.${vid}` as Linux's `ip link add link eth0 name eth0.10`. */
  readonly name?: string;
  /** TPID pushed on egress and matched on ingress: 0x8100 (default) or 0x88a8 (`protocol 802.1ad`). */
  readonly tpid?: number;
  /** PCP of egress tags (Linux's default egress-qos-map gives 0). */
  readonly pcp?: number;
}

/** Frames one-tag-too-many on a parent are already counted by the parent; the child is the stack's view. */
const SEND_ONE_TAG = { allowedTags: 1 } as const;

/**
 * VLAN sub-interfaces on one parent Port (Linux `eth0.10`): takes over the parent's receive handler
 * and demultiplexes by the outer tag. A frame tagged (TPID, VID) of a sub-interface loses that one tag
 * and is delivered to the child Port (inner tags stay: they are payload); untagged frames, and tagged
 * ones no sub-interface claims, go to the `untagged` child (the parent's own stack, like `eth0`) — a
 * priority tag (VID 0, either TPID) removed, as Linux does; other tags kept (so a stack drops them). A frame
 * sent on a child gets the tag pushed (a new buffer) and leaves through the parent.
 */
export class VlanDemux {
  /** Child for untagged traffic (Linux's `eth0` itself). Its frames leave the parent unchanged. */
  readonly untagged: Port;
  readonly #subs = new Map<number, { port: Port; tag: VlanTagSpec }>();

  constructor(readonly parent: Port) {
    const sim = parent.sim;
    this.untagged = new Port(sim, `${parent.name}@untagged`, "ethernet", { mtu: parent.mtu });
    this.untagged.attachPeer({
      transmit: (frame) => {
        parent.send(frame);
      },
      peerUp: () => parent.carrier,
    });
    parent.onReceive((frame) => this.#receive(frame));
  }

  /** Adds sub-interface `vid` (1..4094) and returns its child Port. */
  add(vid: number, opts: SubInterfaceOptions = {}): Port {
    checkVid(vid);
    const tpid = opts.tpid ?? VlanTpid.Dot1Q;
    if (!isVlanTpid(tpid))
      throw new VlanConfigError(`sub-interface TPID 0x${tpid.toString(16)} is not 0x8100 or 0x88a8`);
    const key = tpid * 0x1000 + vid;
    if (this.#subs.has(key))
      throw new VlanConfigError(`${this.parent.name} already has a sub-interface for VLAN ${vid}`);
    const pcp = opts.pcp ?? 0;
    const tag: VlanTagSpec = { tpid, pcp, dei: false, vid };
    const parent = this.parent;
    const port = new Port(parent.sim, opts.name ?? `${parent.name}.${vid}`, "ethernet", { mtu: parent.mtu });
    port.attachPeer({
      transmit: (frame) => {
        parent.send(pushTag(frame, tag), SEND_ONE_TAG);
      },
      peerUp: () => parent.carrier,
    });
    this.#subs.set(key, { port, tag });
    return port;
  }

  /** The child Port of VLAN `vid` (and TPID), if any. */
  get(vid: number, tpid: number = VlanTpid.Dot1Q): Port | undefined {
    return this.#subs.get(tpid * 0x1000 + vid)?.port;
  }

  #receive(frame: Uint8Array): void {
    if (frame.byteLength >= 18) {
      const tpid = (frame[12] << 8) | frame[13];
      if (isVlanTpid(tpid)) {
        const vid = ((frame[14] & 0x0f) << 8) | frame[15];
        const sub = this.#subs.get(tpid * 0x1000 + vid);
        if (sub) {
          sub.port.deliver(stripOuterTag(frame));
          return;
        }
        if (vid === 0) {
          // A priority tag (VID 0): Linux (__netif_receive_skb_core, after vlan_do_receive finds no
          // device) clears it and the parent handles the frame as untagged.
          this.untagged.deliver(stripOuterTag(frame));
          return;
        }
      }
    }
    this.untagged.deliver(frame);
  }
}

/** The frame without its outer 4-byte tag (a new buffer). */
function stripOuterTag(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.byteLength - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}
