export { Rng } from "./rng.js";
export { type RunOptions, type RunResult, Simulator, SimulatorError, Timer } from "./simulator.js";
export { formatTime, MAX_TIME, ms, ns, type SimTime, s, us } from "./time.js";
