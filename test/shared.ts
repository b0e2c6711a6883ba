/**
 * The one way tests find the shared corpus and the real tools (a helper module, not a test).
 *
 * The corpus lives beside the repository: `<repo>/../shared/corpus/` (README.md in each folder).
 * `VNET_SHARED_DIR` overrides where `shared/` is (point it at a missing folder to check that corpus
 * tests skip cleanly). When the corpus is absent, every test file that imports this module prints one
 * plain notice and its corpus tests skip (`describe.skipIf(!haveShared)`).
 *
 * Real tools (tcpdump, tshark, ip, tcpreplay, …): `tool(name)` says whether they are installed. A test
 * that needs one runs when it is; when it is not, the test is skipped with one plain notice — except
 * under CI (`process.env.CI` set), where `tool()` registers a failing test instead, since CI must
 * install every tool the suite uses. `VNET_MISSING_TOOLS=tcpdump,tshark` makes `tool()` treat those as
 * not installed (to check the skip and CI paths on a machine that has them).
 *
 * Module state (the "notice printed once" sets) is per test file: vitest imports modules afresh for
 * each file.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "vitest";
import { readCaptureBytes } from "../captures/reader.js";
import type { CaptureRecord } from "../captures/record.js";

/** Absolute path of the repository's sibling `shared/` (or of `$VNET_SHARED_DIR`), no trailing slash. */
export const SHARED_DIR: string = process.env.VNET_SHARED_DIR
  ? resolve(process.env.VNET_SHARED_DIR)
  : resolve(fileURLToPath(new URL("../../shared/", import.meta.url)));

/** Absolute path of `shared/corpus`, no trailing slash. */
export const CORPUS_DIR: string = join(SHARED_DIR, "corpus");

/** The corpus folder exists (corpus tests run only then). */
export const haveShared: boolean = existsSync(CORPUS_DIR);

if (!haveShared) console.warn("skipped: ../shared not present (corpus tests need it; CI always has it)");

/** Absolute path of a corpus file or folder, `rel` relative to `shared/corpus/` ("tcpdump/dns_udp.pcap"). */
export function corpusPath(rel: string): string {
  return join(CORPUS_DIR, rel);
}

/** A corpus file's bytes as a plain Uint8Array (not a Buffer, so `toEqual` against fixtures works). */
export function corpusBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(rel)));
}

/** A corpus text file (an expected `.out`, an INDEX.tsv, …). */
export function corpusText(rel: string, encoding: BufferEncoding = "utf8"): string {
  return readFileSync(corpusPath(rel), encoding);
}

/**
 * Every record of a corpus capture (pcap or pcapng), read with captures/reader.ts; each record's data
 * is a copy (the reader's view is only valid until the next record). Throws CaptureError as the reader
 * does for a malformed file.
 */
export function corpusRecords(rel: string): CaptureRecord[] {
  return [...readCaptureBytes(corpusBytes(rel), rel)].map((r) => ({ ...r, data: r.data.slice() }));
}

/** The captured bytes of every record of a corpus capture (copies, in file order). */
export function corpusFrames(rel: string): Uint8Array[] {
  return [...readCaptureBytes(corpusBytes(rel), rel)].map((r) => r.data.slice());
}

/**
 * Bytes of record `n` (1-based, as tcpdump's `-#` numbers them) of a corpus capture, optionally only
 * `[start, end)` of it (e.g. a UDP payload). Corpus bytes are read at test time and never pasted into
 * the repository; when the corpus is absent this returns an empty array, so a fixture can be declared
 * at module level and the tests using it sit in a `describe.skipIf(!haveShared)`.
 */
export function corpusFrame(rel: string, n: number, start = 0, end?: number): Uint8Array {
  if (!haveShared) return new Uint8Array(0);
  const frames = corpusFrames(rel);
  if (n < 1 || n > frames.length) throw new Error(`${rel} has ${frames.length} records, not #${n}`);
  return frames[n - 1].slice(start, end);
}

// ---- real tools ---------------------------------------------------------------------------------

/** Folders searched after $PATH (ip lives in /usr/sbin, often not on a user's PATH). */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

const hidden = new Set(
  (process.env.VNET_MISSING_TOOLS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

function findTool(name: string): string | undefined {
  if (hidden.has(name)) return undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return resolve(p);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian/Ubuntu package of a tool, where the names differ (for the CI failure message). */
const PACKAGE: Readonly<Record<string, string>> = { ip: "iproute2", bridge: "iproute2", tc: "iproute2" };

/** CI is "set": present and not an explicit "0"/"false". */
const underCi = (process.env.CI ?? "") !== "" && !["0", "false"].includes(process.env.CI ?? "");

const found = new Map<string, string | undefined>();
const reported = new Set<string>();

/**
 * Absolute path of an installed tool, for spawnSync. When it is not installed, the bare name (a spawn
 * then fails with ENOENT; tests gate on `tool(name)` first).
 */
export function toolPath(name: string): string {
  if (!found.has(name)) found.set(name, findTool(name));
  return found.get(name) ?? name;
}

/**
 * Whether every named tool is installed. For each missing one (reported once per test file): under CI
 * it registers a failing test "<name> is installed" where it is called (CI must install the tool);
 * otherwise it prints "skipped: <name> not installed (…)". Call it at a test file's top level (a
 * failing test registered inside a skipped suite would be skipped too), e.g.
 * `const haveTcpdump = tool("tcpdump")`, then `describe.skipIf(!haveShared || !haveTcpdump)(…)`.
 */
export function tool(name: string, ...more: string[]): boolean {
  let all = true;
  for (const n of [name, ...more]) {
    if (toolPath(n) !== n) continue;
    all = false;
    if (reported.has(n)) continue;
    reported.add(n);
    const msg = `${n} not installed (tests that need it are skipped; CI must install it)`;
    if (underCi) {
      it(`${n} is installed (CI must install it)`, () => {
        throw new Error(`${n} is not installed: CI must install it (apt-get install -y ${PACKAGE[n] ?? n})`);
      });
    } else console.warn(`skipped: ${msg}`);
  }
  return all;
}
