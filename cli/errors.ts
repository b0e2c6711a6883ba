import { CaptureError } from "../captures/errors.js";
import { FilterSyntaxError } from "../captures/filter.js";

/** An error the user made in the command line (unknown command or option, bad value): one line, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A file the command cannot use (a directory, an output folder that is not there): one line, exit 1. */
export class FileError extends Error {
  override readonly name = "FileError";
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path}: ${what}`);
  }
}

/** Exit codes: 0 ok, 1 bad input (capture, filter, file), 2 usage, 70 internal bug (EX_SOFTWARE). */
export const EXIT = { ok: 0, badInput: 1, usage: 2, internal: 70 } as const;

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EEXIST: "file exists",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/**
 * Turns any error into the one line a user sees and the exit code: bad input (a malformed capture, a
 * bad filter, a missing file) says what and where; only a bug in vnet shows a stack, and asks for a
 * report.
 */
export function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof CaptureError) return { message: e.message, code: EXIT.badInput };
  if (e instanceof FilterSyntaxError) return { message: e.message, code: EXIT.badInput };
  if (e instanceof FileError) return { message: e.message, code: EXIT.badInput };
  if (e instanceof UsageError) return { message: e.message, code: EXIT.usage };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string" && typeof err.path === "string") {
    return { message: `${err.path}: ${ERRNO_WORDS[err.code] ?? err.message}`, code: EXIT.badInput };
  }
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { message: `internal error (a bug in vnet, please report it):\n${detail}`, code: EXIT.internal };
}
