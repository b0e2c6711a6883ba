/** attach/: the edges to the real world — QEMU socket backends, the real-time driver (see README.md). */
export {
  AttachAddressError,
  type Endpoint,
  formatEndpoint,
  loopbackHost,
  parseEndpoint,
} from "./address.js";
export {
  type AttachCarrierHandler,
  AttachCounters,
  type AttachCountersSnapshot,
  type AttachDropReason,
  type AttachFrameHandler,
  type AttachKind,
  type AttachLog,
  type AttachOptions,
  AttachPoint,
  type AttachState,
  stderrLog,
} from "./attach-point.js";
export { DgramAttach, type DgramAttachOptions } from "./dgram.js";
export { FlowControl, type FlowControlOptions, type FlowStats } from "./flow.js";
export {
  type DatagramProblem,
  datagramProblem,
  encodeStreamFrame,
  encodeStreamFrames,
  type FrameSink,
  FramingError,
  type FramingReason,
  maxFrameLenFor,
  STREAM_HEADER_LEN,
  StreamBatch,
  StreamDecoder,
  type StreamDecoderOptions,
} from "./framing.js";
export { StreamPeer, UdpPeer, waitUntil } from "./peer.js";
export { plug, plugTap } from "./plug.js";
export {
  type QemuBackend,
  qemuDevice,
  qemuNetdev,
  qemuNetdevId,
  qemuNicArgs,
  qemuOptValue,
  shellLine,
  shellQuote,
} from "./qemu.js";
export { RealtimeDriver, type RealtimeOptions, type RealtimeStats } from "./realtime.js";
export {
  type SpawnAttachedOptions,
  StreamClientAttach,
  type StreamClientOptions,
  StreamFdAttach,
  type StreamListen,
  StreamServerAttach,
  spawnAttached,
  spawnWithStreams,
} from "./stream.js";
export { TapAttach, type TapAttachOptions, TapError, tapUnavailableReason } from "./tap.js";
