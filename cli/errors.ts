import { CaptureError } from "../captures/errors.js";
import { FilterSyntaxError } from "../captures/filter.js";

/** An error the user made (bad arguments, a file that is not there): printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Turns any error into the one line a user sees and the exit code: bad input (a malformed capture, a
 * bad filter, a missing file) says what and where; only a bug in vnet shows a stack, and asks for a
 * report.
 */
export function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof CaptureError) return { message: e.message, code: 1 };
  if (e instanceof FilterSyntaxError) return { message: e.message, code: 1 };
  if (e instanceof UsageError) return { message: e.message, code: 2 };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string" && typeof err.path === "string") {
    const what: Record<string, string> = {
      ENOENT: "no such file or directory",
      EACCES: "permission denied",
      EISDIR: "is a directory",
      ENOTDIR: "not a directory",
      ENOSPC: "no space left on device",
    };
    return { message: `${err.path}: ${what[err.code] ?? err.message}`, code: 1 };
  }
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { message: `internal error (a bug in vnet, please report it):\n${detail}`, code: 70 };
}
