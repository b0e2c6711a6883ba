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
  EdgeError,
  type EdgeFrame,
  type EdgeInjector,
  type EdgeRecording,
  type EdgeStats,
  Edges,
  type EdgesOptions,
  loadEdgeRecording,
  networkEdges,
  normaliseEdgeName,
  readEdgeRecording,
  resolveEdgeName,
} from "./edges.js";
export {
  generateTopology,
  registerTopology,
  type TopologyGenerator,
  topologyGenerators,
} from "./generators.js";
export type { NatHandle } from "./nat-adapter.js";
export {
  DEFAULT_DURATION,
  dhcpServerOptions,
  OUTSIDE_DOMAIN,
  OUTSIDE_SUBNET,
  presetOf,
  type ResolvedNetwork,
  type ResolvedTopology,
  resolveTopology,
} from "./presets.js";
export {
  type CaptureInjectOptions,
  type CaptureInput,
  captureInjections,
  edgeNamesOf,
  isDirectory,
  type LoadedRun,
  loadRunDir,
  parseMacRewrites,
  parseSpeed,
  type ReplayCaptureOptions,
  type ReplayCaptureResult,
  ReplayError,
  type ReplayRunOptions,
  type ReplayRunResult,
  type ReplaySpeed,
  replayCapture,
  replayRun,
  rewriteMacs,
  type Verification,
  verifyReplay,
} from "./replay.js";
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
export {
  capturedPorts,
  captureFileName,
  EDGES_FILE,
  RUN_FILE,
  type RunFileRecord,
  type RunInput,
  type RunOptions,
  type RunRecord,
  type RunResult,
  runTopology,
  sha256File,
  TOPOLOGY_JSON_FILE,
  TOPOLOGY_YAML_FILE,
  type TopologySource,
  vnetVersion,
} from "./run.js";
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
