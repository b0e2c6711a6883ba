/** topology/: describing networks (YAML files and a typed builder → one spec), the network modes as presets, building, running and reporting (see README.md). */
export {
  buildTopology,
  type FaultRun,
  Network,
  type NetworkNode,
  type NodeKind,
  type NodePort,
  type TrafficRun,
} from "./build.js";
export { defineTopology, TopologyBuilder, topology, type VmOptions } from "./builder.js";
export {
  generateTopology,
  registerTopology,
  type TopologyGenerator,
  topologyGenerators,
} from "./generators.js";
export type { NatHandle } from "./nat-adapter.js";
export {
  DEFAULT_DURATION,
  OUTSIDE_DOMAIN,
  OUTSIDE_SUBNET,
  presetOf,
  type ResolvedNetwork,
  type ResolvedTopology,
  resolveTopology,
} from "./presets.js";
export {
  type FlowReport,
  formatReport,
  type LeaseReport,
  makeReport,
  type PingReport,
  type PortReport,
  type RunReport,
  type UdpEchoReport,
} from "./report.js";
export { capturedPorts, captureFileName, type RunOptions, type RunResult, runTopology } from "./run.js";
export * from "./spec.js";
export {
  formatDuration,
  formatRate,
  parseDuration,
  parseProbability,
  parseRate,
  parseSize,
  UnitError,
} from "./units.js";
export { checkTopology, loadTopologyFile, parseTopologyYaml } from "./yaml.js";
