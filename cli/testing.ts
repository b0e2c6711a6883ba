/**
 * Test helper for the command functions (run.test.ts, replay.test.ts): runs one in process as main.ts
 * does, stdout going to a file in `dir`, an error ending it as the one line and exit code the user sees.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeError, EXIT } from "./errors.js";
import { Output } from "./output.js";

export interface CommandOutcome {
  readonly stdout: string;
  /** Lines the command wrote to stderr. */
  readonly stderr: string[];
  /** The error line (without `vnet: `), or null. */
  readonly error: string | null;
  readonly code: number;
}

let n = 0;

/** Runs `fn` (a command function given its stdout and stderr) and returns what it printed and its exit code. */
export function runInProcess(
  dir: string,
  fn: (out: Output, err: (line: string) => void) => number | undefined,
): CommandOutcome {
  const path = join(dir, `out-${n++}.txt`);
  const fd = openSync(path, "w");
  const out = new Output(fd);
  const stderr: string[] = [];
  let error: string | null = null;
  let code: number = EXIT.ok;
  try {
    code = fn(out, (l) => stderr.push(l)) ?? EXIT.ok;
    out.flush();
  } catch (e) {
    const d = describeError(e);
    error = d.message;
    code = d.code;
  } finally {
    closeSync(fd);
  }
  return { stdout: readFileSync(path, "utf8"), stderr, error, code };
}
