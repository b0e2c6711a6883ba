export {
  type BridgeOptions,
  type BridgePortFlags,
  Capture,
  cleanupLeftovers,
  NETNS_PREFIX,
  NETNS_TOOLS,
  NetnsLab,
  type NetnsSupport,
  netnsSupport,
} from "./netns.js";
export { formatFrame, macBytes, macText, type PortOutputs, type Scenario, type Step } from "./scenario.js";
