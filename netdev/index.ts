export { Counters, type CountersSnapshot, type DropReason } from "./counters.js";
export { ETH_HLEN, ethernetFrameProblem, leadingVlanTags } from "./frame-checks.js";
export {
  connect,
  type GilbertElliott,
  type Jitter,
  Link,
  LinkDirection,
  type LinkImpairments,
  type LinkOptions,
  LinkStats,
  type Loss,
  type Reorder,
} from "./link.js";
export {
  type Direction,
  type FrameHandler,
  Port,
  type PortKind,
  type PortObserver,
  type PortPeer,
} from "./port.js";
export { Tap, type TapOptions, type TapReader } from "./tap.js";
export { TUN_PI_LEN, Tun, type TunOptions, TunPiFlag, TunProto, type TunReader } from "./tun.js";
export { type NicHandler, type NicObserver, QEMU_OUI, qemuMac, VmNic, type VmNicOptions } from "./vm-nic.js";
