#!/usr/bin/env node
/**
 * The `vnet` command. Thin: parses arguments with yargs and calls the modules. Every error reaches
 * the user as one line on stderr and a non-zero exit (see errors.ts); never a stack trace for bad input.
 */
import { extname } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { convertCapture } from "../captures/convert.js";
import type { TimeFormat } from "../captures/print/index.js";
import { describeError, UsageError } from "./errors.js";
import { inspect } from "./inspect.js";
import { Output } from "./output.js";

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * tcpdump spells some options in ways yargs' short-option groups cannot: `-t`, `-tt`, `-tttt`
 * (timestamp styles) and `-#`. Rewrite them to long options before parsing.
 */
function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => {
    if (/^-t{1,5}$/.test(a)) return `--t-count=${a.length - 1}`;
    if (a === "-#") return "--number";
    return a;
  });
}

function timeFormat(tCount: number): TimeFormat {
  if (tCount === 0) return "time";
  if (tCount === 1) return "none";
  if (tCount === 4) return "datetime";
  throw new UsageError(`-${"t".repeat(tCount)} is not supported (use -t for no timestamp or -tttt for date and time)`);
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const run = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      const { message, code } = describeError(e);
      stderrLine(`vnet: ${message}`);
      exitCode = code;
    }
  };
  await yargs(normaliseArgv(argv))
    .scriptName("vnet")
    .usage("$0 <command> [options]")
    .parserConfiguration({ "parse-positional-numbers": false })
    .command(
      "inspect <file> [expression..]",
      "print a pcap/pcapng capture the way tcpdump does (optionally filtered)",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true, describe: "capture file (pcap or pcapng)" })
          .positional("expression", { type: "string", array: true, describe: "pcap-filter expression, e.g. tcp port 80" })
          .option("n", { type: "boolean", describe: "don't resolve names (always on: vnet never resolves)" })
          .option("e", { type: "boolean", describe: "print the link-level header" })
          .option("v", { type: "count", describe: "more detail (-v, -vv, -vvv)" })
          .option("q", { type: "boolean", describe: "quick output: less protocol information" })
          .option("x", { type: "count", describe: "hex dump of each packet (-xx: with the link header)" })
          .option("X", { type: "count", describe: "hex and ASCII dump (-XX: with the link header)" })
          .option("A", { type: "boolean", describe: "ASCII dump of each packet" })
          .option("c", { type: "number", describe: "stop after N packets" })
          .option("number", { type: "boolean", describe: "-#: print the packet number first" })
          .option("t-count", { type: "number", default: 0, hidden: true })
          .option("tttt", { type: "boolean", describe: "-tttt: date and time (UTC)" })
          .option("nano", { type: "boolean", describe: "nanosecond timestamps" })
          .option("stats", { type: "boolean", describe: "summary: protocols, conversations, top talkers, rates" })
          .option("json", { type: "boolean", describe: "one JSON object per line (with --stats too)" })
          .example("$0 inspect capture.pcap -n -v", "decode like tcpdump -n -v")
          .example("$0 inspect capture.pcapng -e 'udp port 53'", "DNS only, with MAC addresses")
          .example("$0 inspect capture.pcap --stats", "what is in the capture"),
      (a) =>
        run(() => {
          const x = a.X > 0 ? a.X : a.x;
          if (a.c !== undefined && (!Number.isInteger(a.c) || a.c < 0)) {
            throw new UsageError(`-c wants a packet count, got ${JSON.stringify(String(a.c))}`);
          }
          const out = new Output();
          inspect(
            {
              file: a.file,
              expression: (a.expression ?? []).join(" "),
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
              count: a.c,
              stats: a.stats ?? false,
              json: a.json ?? false,
            },
            out,
            stderrLine,
          );
        }),
    )
    .command(
      "convert <in> <out>",
      "convert between pcap and pcapng (the output is written whole or not at all)",
      (y) =>
        y
          .positional("in", { type: "string", demandOption: true })
          .positional("out", { type: "string", demandOption: true })
          .option("format", {
            choices: ["pcap", "pcapng"] as const,
            describe: "output format (default: from the output file's extension)",
          })
          .option("nano", { type: "boolean", describe: "nanosecond timestamps in the output" }),
      (a) =>
        run(() => {
          const ext = extname(a.out).toLowerCase();
          const format = a.format ?? (ext === ".pcapng" ? "pcapng" : ext === ".pcap" || ext === ".cap" ? "pcap" : null);
          if (!format) throw new UsageError(`cannot tell the output format from ${JSON.stringify(a.out)}: use --format pcap|pcapng`);
          const r = convertCapture(a.in, a.out, { format, ...(a.nano !== undefined ? { nano: a.nano } : {}) });
          stderrLine(`${a.out}: ${r.records} records, ${r.interfaces} interface${r.interfaces === 1 ? "" : "s"} (${format})`);
        }),
    )
    .demandCommand(1, "vnet: give a command (see --help)")
    .strict()
    .recommendCommands()
    .fail((msg, e) => {
      if (e) throw e;
      stderrLine(`vnet: ${msg}`);
      stderrLine("(see vnet --help)");
      exitCode = 2;
    })
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .parseAsync();
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const { message, code } = describeError(e);
    stderrLine(`vnet: ${message}`);
    process.exitCode = code;
  },
);
