/** captures/: capture files, printing, filters, statistics, capture points — the public face of the module (see README.md). */
export * from "./capture-point.js";
export * from "./convert.js";
export * from "./errors.js";
export * from "./filter.js";
export {
  DEFAULT_INSPECT_OPTIONS,
  formatCapture,
  type InspectOptions,
  TcpdumpPrinter,
} from "./print/index.js";
export * from "./reader.js";
export * from "./record.js";
export * from "./stats.js";
export * from "./summary.js";
export * from "./writer.js";
