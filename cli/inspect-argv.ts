/**
 * `vnet inspect`'s command line: the yargs definition (used by main.ts for help and errors), the
 * mapping of the parsed options to `InspectArgs`, and a yargs-free parser for the common command
 * lines.
 *
 * Why a second parser: `vnet inspect F` is a command people run on big files and in loops, and
 * loading yargs costs ~0.1 s of a run (the other commands' modules, zod and yaml among them, more).
 * `parseInspectArgv` reads the plain command lines itself (known options, each at most once; a file;
 * filter words) and answers exactly what yargs would; for anything else (`--help`, an unknown or
 * repeated option, `--`, `-c5`, a `true`/`false` word that yargs would take as an option's value, no
 * file) it returns null and main.ts hands the command line to yargs, which words the help or the error.
 * inspect-argv.test.ts checks the two agree on generated command lines.
 *
 * This module loads nothing but the inspect path: yargs appears here as types only.
 */
import type { Argv } from "yargs";
import type { TimeFormat } from "../captures/print/index.js";
import { UsageError } from "./errors.js";
import type { InspectArgs } from "./inspect.js";

export const INSPECT_COMMAND = "inspect <file> [expression..]";
export const INSPECT_DESCRIBE = "print a pcap/pcapng capture the way tcpdump does (optionally filtered)";

/** The options inspect takes with a value (after `normaliseArgv`), for `protectDashes`. */
export const INSPECT_WITH_VALUE: readonly string[] = ["c", "t-count"];

/**
 * tcpdump spells some options in ways yargs' short-option groups cannot: `-t`, `-tt`, `-tttt`
 * (timestamp styles) and `-#`. Rewrite them to long options before parsing.
 */
export function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((a) => {
    if (/^-t{1,5}$/.test(a)) return `--t-count=${a.length - 1}`;
    if (a === "-#") return "--number";
    return a;
  });
}

/** Stands for a lone `-` in a filter expression while yargs parses (yargs would drop it). */
export const MINUS = "\u0000-";

/**
 * A lone `-` is not an option to yargs, which drops it. As the input file (the command's first
 * positional) it means standard input, as in `tcpdump -r -`; later it is filter arithmetic
 * (`len - 14 > 100`), kept as MINUS and turned back by `expressionOf`. `withValue`: the command's
 * options that take a value (their value is not a positional).
 */
export function protectDashes(argv: readonly string[], withValue: readonly string[]): string[] {
  const out = [...argv];
  let seenPositional = false;
  for (let i = 1; i < out.length; i++) {
    const t = out[i];
    if (t === "-") {
      out[i] = seenPositional ? MINUS : "/dev/stdin";
      seenPositional = true;
    } else if (t === "--" || !t.startsWith("-")) {
      seenPositional = true;
    } else {
      const name = t.startsWith("--") ? t.slice(2) : t.length === 2 ? t[1] : "";
      if (!t.includes("=") && withValue.includes(name)) i++; // skip the option's value
    }
  }
  return out;
}

/** The filter expression: the words after the file, joined by spaces (a MINUS back to `-`). */
export function expressionOf(words: readonly string[] | undefined): string {
  return (words ?? []).map((w) => (w === MINUS ? "-" : w)).join(" ");
}

/** `-c N` as tcpdump takes it: a whole number greater than 0. */
export function packetCount(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid packet count ${raw}`);
  return n;
}

function timeFormat(tCount: number): TimeFormat {
  if (tCount === 0) return "time";
  if (tCount === 1) return "none";
  if (tCount === 4) return "datetime";
  throw new UsageError(
    `-${"t".repeat(tCount)} is not supported (use -t for no timestamp or -tttt for date and time)`,
  );
}

/** The yargs options of `vnet inspect` (main.ts registers them with INSPECT_COMMAND). */
export function inspectOptions<T>(y: Argv<T>) {
  return y
    .positional("file", {
      type: "string",
      demandOption: true,
      describe: "capture file (pcap or pcapng; - for standard input)",
    })
    .positional("expression", {
      type: "string",
      array: true,
      describe: "pcap-filter expression, e.g. tcp port 80",
    })
    .option("n", { type: "boolean", describe: "don't resolve names (always on: vnet never resolves)" })
    .option("e", { type: "boolean", describe: "print the link-level header" })
    .option("v", { type: "count", describe: "more detail (-v, -vv, -vvv)" })
    .option("q", { type: "boolean", describe: "quick output: less protocol information" })
    .option("x", { type: "count", describe: "hex dump of each packet (-xx: with the link header)" })
    .option("X", { type: "count", describe: "hex and ASCII dump (-XX: with the link header)" })
    .option("A", { type: "boolean", describe: "ASCII dump of each packet" })
    .option("c", { type: "string", requiresArg: true, describe: "stop after N packets" })
    .option("number", { type: "boolean", describe: "-#: print the packet number first" })
    .option("t-count", { type: "number", default: 0, hidden: true })
    .option("tttt", { type: "boolean", describe: "-tttt: date and time (UTC)" })
    .option("nano", { type: "boolean", describe: "nanosecond timestamps" })
    .option("stats", {
      type: "boolean",
      describe: "summary: protocols, conversations, top talkers, rates",
    })
    .option("json", { type: "boolean", describe: "one JSON object per line (with --stats too)" })
    .example("$0 inspect capture.pcap -n -v", "decode like tcpdump -n -v")
    .example("$0 inspect capture.pcapng -e 'udp port 53'", "DNS only, with MAC addresses")
    .example("$0 inspect capture.pcap --stats", "what is in the capture");
}

/** What `inspectArgsOf` reads of the parsed command line (yargs' result, or `parseInspectArgv`'s). */
export interface InspectArgv {
  readonly file: string;
  readonly expression?: readonly string[] | undefined;
  readonly n?: boolean | undefined;
  readonly e?: boolean | undefined;
  readonly v: number;
  readonly q?: boolean | undefined;
  readonly x: number;
  readonly X: number;
  readonly A?: boolean | undefined;
  readonly c?: string | undefined;
  readonly number?: boolean | undefined;
  readonly "t-count": number;
  readonly tttt?: boolean | undefined;
  readonly nano?: boolean | undefined;
  readonly stats?: boolean | undefined;
  readonly json?: boolean | undefined;
}

/** The parsed command line as `inspect` takes it; throws a UsageError for a bad -c or -t style. */
export function inspectArgsOf(a: InspectArgv): InspectArgs {
  const x = a.X > 0 ? a.X : a.x;
  const count = packetCount(a.c);
  return {
    file: a.file,
    expression: expressionOf(a.expression),
    print: {
      verbose: a.v,
      linkHeader: a.e ?? false,
      quick: a.q ?? false,
      hex: x >= 2 ? 2 : x === 1 ? 1 : 0,
      hexAscii: a.X > 0,
      ascii: a.A ?? false,
      number: a.number ?? false,
      time: a.tttt ? "datetime" : timeFormat(a["t-count"]),
      nano: a.nano ?? false,
    },
    ...(count !== undefined ? { count } : {}),
    stats: a.stats ?? false,
    json: a.json ?? false,
  };
}

type Flag = "n" | "e" | "q" | "A" | "number" | "tttt" | "nano" | "stats" | "json";
const SHORT_FLAGS: Readonly<Record<string, Flag>> = { n: "n", e: "e", q: "q", A: "A" };
const LONG_FLAGS: Readonly<Record<string, Flag>> = {
  "--number": "number",
  "-#": "number",
  "--tttt": "tttt",
  "--nano": "nano",
  "--stats": "stats",
  "--json": "json",
};

/**
 * The raw arguments after the program (`inspect FILE …`) as yargs would parse them for the inspect
 * command (after main.ts's `normaliseArgv` and `protectDashes`), or null when the command line is not
 * one of the plain ones this parser reads (see the module comment): then yargs must parse it.
 */
export function parseInspectArgv(argv: readonly string[]): InspectArgv | null {
  if (argv[0] !== "inspect") return null;
  const flags = new Set<Flag>();
  let v = 0;
  let x = 0;
  let X = 0;
  let c: string | undefined;
  let tCount: number | undefined;
  let file: string | undefined;
  const expression: string[] = [];
  const flag = (f: Flag): boolean => {
    if (flags.has(f)) return false; // repeated: yargs' duplicate handling is not reproduced here
    flags.add(f);
    return true;
  };
  for (let i = 1; i < argv.length; i++) {
    const t = argv[i];
    // Words yargs treats specially: `--`, an empty word, and true/false (an option's value after a flag).
    if (t === "" || t === "--" || t === "true" || t === "false") return null;
    if (t === "-" || !t.startsWith("-")) {
      if (file === undefined) file = t === "-" ? "/dev/stdin" : t;
      else expression.push(t === "-" ? MINUS : t);
      continue;
    }
    const long = LONG_FLAGS[t];
    if (long !== undefined) {
      if (!flag(long)) return null;
      continue;
    }
    if (/^-t{1,5}$/.test(t)) {
      if (tCount !== undefined) return null;
      tCount = t.length - 1;
      continue;
    }
    if (t === "-c") {
      const value = argv[i + 1];
      if (c !== undefined || value === undefined || value === "" || value.startsWith("-")) return null;
      if (value === "true" || value === "false") return null;
      c = value;
      i++;
      continue;
    }
    // A group of one-letter flags and counts (`-n`, `-vv`, `-nXX`).
    if (!/^-[neqAvxX]+$/.test(t)) return null;
    for (let k = 1; k < t.length; k++) {
      const ch = t[k];
      if (ch === "v") v++;
      else if (ch === "x") x++;
      else if (ch === "X") X++;
      else if (!flag(SHORT_FLAGS[ch])) return null;
    }
  }
  if (file === undefined) return null;
  const has = (f: Flag): true | undefined => (flags.has(f) ? true : undefined);
  return {
    file,
    expression,
    n: has("n"),
    e: has("e"),
    v,
    q: has("q"),
    x,
    X,
    A: has("A"),
    c,
    number: has("number"),
    "t-count": tCount ?? 0,
    tttt: has("tttt"),
    nano: has("nano"),
    stats: has("stats"),
    json: has("json"),
  };
}
