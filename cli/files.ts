import { statSync } from "node:fs";
import { dirname } from "node:path";
import { FileError } from "./errors.js";

/**
 * Checks up front what the capture readers would otherwise report badly: a directory given as the
 * input (reading it fails with an `EISDIR` that names no path). A missing file is left to the reader,
 * whose `ENOENT` names the path.
 */
export function checkInputFile(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return; // the reader reports it, with the path
  }
  if (isDir) throw new FileError(path, "is a directory");
}

/** The output of `convert` must go into an existing directory, and must not itself be a directory. */
export function checkOutputFile(path: string): void {
  const dir = dirname(path);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    throw new FileError(path, `cannot write: directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new FileError(path, `cannot write: ${dir} is not a directory`);
  try {
    if (statSync(path).isDirectory()) throw new FileError(path, "cannot write: is a directory");
  } catch (e) {
    if (e instanceof FileError) throw e;
    // not there yet: fine
  }
}

/**
 * Gives a path to an errno error that has none (reads on an open descriptor), so the user sees which
 * file failed; `path` names the file the operation was working on.
 */
export function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Only system errors (they carry an errno); a TypeError from a bug stays an internal error.
    if (err instanceof Error && typeof err.errno === "number" && typeof err.path !== "string")
      err.path = path;
    throw e;
  }
}
