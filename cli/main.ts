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
import { checkInputFile, checkOutputFile } from "./files.js";
import { inspect } from "./inspect.js";
import { Output } from "./output.js";
import { replayCommand } from "./replay.js";
import { runCommand } from "./run.js";
import { serveCommand } from "./serve.js";

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

const COMMANDS = ["inspect", "convert", "run", "replay", "serve"] as const;

/** An unknown first word is an unknown command (yargs alone would call it an "unknown argument"). */
function checkCommand(argv: string[]): void {
  const first = argv[0];
  if (first === undefined || first.startsWith("-") || (COMMANDS as readonly string[]).includes(first)) return;
  const near = COMMANDS.find((c) => c.startsWith(first.slice(0, 2)));
  throw new UsageError(
    `unknown command ${JSON.stringify(first)}${near ? ` (did you mean ${near}?)` : ""}; commands: ${COMMANDS.join(", ")} (see vnet --help)`,
  );
}

/** The options each command takes (long names; one-letter names are short options), for error messages. */
const KNOWN_OPTIONS: Record<
  string,
  { readonly flags: readonly string[]; readonly withValue: readonly string[] }
> = {
  inspect: {
    flags: ["n", "e", "v", "q", "x", "X", "A", "number", "tttt", "nano", "stats", "json"],
    withValue: ["c", "t-count"],
  },
  convert: { flags: ["nano"], withValue: ["format"] },
  run: { flags: ["json"], withValue: ["seed", "duration", "capture-dir", "topo"] },
  replay: {
    flags: ["json"],
    withValue: ["topology", "topo", "into", "speed", "at", "rewrite-mac", "seed", "duration", "capture-dir"],
  },
  serve: { flags: [], withValue: ["topo", "listen", "record", "attach", "seed", "duration"] },
};

/**
 * The first option on the command line that the command does not take, or null. Used only to word
 * an error yargs already found: `vnet inspect --bogus F` makes yargs take F as the value of --bogus
 * and complain about a missing file, while the real mistake is the option.
 */
function unknownOption(argv: readonly string[]): string | null {
  const known = KNOWN_OPTIONS[argv[0] ?? ""];
  const always = ["help", "version"];
  for (const tok of argv.slice(1)) {
    if (tok === "--") break;
    if (tok.startsWith("--")) {
      const name = tok.slice(2).split("=")[0];
      const bare = name.startsWith("no-") ? name.slice(3) : name;
      const ok =
        always.includes(bare) || (known && (known.flags.includes(bare) || known.withValue.includes(bare)));
      if (!ok) return tok;
    } else if (tok.startsWith("-") && tok.length > 1) {
      for (const ch of tok.slice(1)) {
        if (known?.withValue.includes(ch)) break; // -c5: the rest is the value
        if (!known?.flags.includes(ch)) return tok.length === 2 ? tok : `-${ch} (in ${tok})`;
      }
    }
  }
  return null;
}

/** `-c N` as tcpdump takes it: a whole number greater than 0. */
function packetCount(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid packet count ${raw}`);
  return n;
}

/** Errors about convert's temporary file name the output the user asked for. */
function convertError(e: unknown, out: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.path === "string" && err.path.startsWith(`${out}.tmp-`))
    err.path = out;
  return e;
}

/** Stands for a lone `-` in a filter expression while yargs parses (yargs would drop it). */
const MINUS = "\u0000-";

/**
 * A lone `-` is not an option to yargs, which drops it. As the input file (the command's first
 * positional) it means standard input, as in `tcpdump -r -`; later it is filter arithmetic
 * (`len - 14 > 100`), kept as MINUS and turned back by `expressionOf`.
 */
function protectDashes(argv: string[]): string[] {
  const withValue = KNOWN_OPTIONS[argv[0] ?? ""]?.withValue ?? [];
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

function expressionOf(words: readonly string[] | undefined): string {
  return (words ?? []).map((w) => (w === MINUS ? "-" : w)).join(" ");
}

function timeFormat(tCount: number): TimeFormat {
  if (tCount === 0) return "time";
  if (tCount === 1) return "none";
  if (tCount === 4) return "datetime";
  throw new UsageError(
    `-${"t".repeat(tCount)} is not supported (use -t for no timestamp or -tttt for date and time)`,
  );
}

/**
 * Ends the process once a command is done, if everything it wrote has reached the OS (stdout is
 * written with writeSync; stderr is synchronous for files, pipes on Linux and terminals). After a
 * command's handler returns, yargs lays out the whole help text to keep for a later failure (none
 * can follow here): cliui, wrap-ansi and string-width, some 20–25 ms for nothing. When something is
 * still queued, the process ends normally instead.
 */
function exitWhenWritten(code: number): void {
  if (process.stderr.writableLength === 0) process.exit(code);
}

async function main(rawArgv: string[]): Promise<number> {
  checkCommand(rawArgv);
  const argv = protectDashes(normaliseArgv(rawArgv));
  let exitCode = 0;
  const run = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      const { message, code } = describeError(e);
      stderrLine(`vnet: ${message}`);
      exitCode = code;
    }
    exitWhenWritten(exitCode);
  };
  const runAsync = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      const { message, code } = describeError(e);
      stderrLine(`vnet: ${message}`);
      exitCode = code;
    }
    exitWhenWritten(exitCode);
  };
  await yargs(argv)
    .scriptName("vnet")
    .usage("$0 <command> [options]")
    .parserConfiguration({ "parse-positional-numbers": false })
    .command(
      "inspect <file> [expression..]",
      "print a pcap/pcapng capture the way tcpdump does (optionally filtered)",
      (y) =>
        y
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
          .example("$0 inspect capture.pcap --stats", "what is in the capture"),
      (a) =>
        run(() => {
          const x = a.X > 0 ? a.X : a.x;
          const count = packetCount(a.c);
          const out = new Output();
          inspect(
            {
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
          const format =
            a.format ?? (ext === ".pcapng" ? "pcapng" : ext === ".pcap" || ext === ".cap" ? "pcap" : null);
          if (!format)
            throw new UsageError(
              `cannot tell the output format from ${JSON.stringify(a.out)}: use --format pcap|pcapng`,
            );
          checkInputFile(a.in);
          checkOutputFile(a.out);
          let r: ReturnType<typeof convertCapture>;
          try {
            r = convertCapture(a.in, a.out, { format, ...(a.nano !== undefined ? { nano: a.nano } : {}) });
          } catch (e) {
            throw convertError(e, a.out);
          }
          stderrLine(
            `${a.out}: ${r.records} records, ${r.interfaces} interface${r.interfaces === 1 ? "" : "s"} (${format})`,
          );
        }),
    )
    .command(
      "run [topology]",
      "run a topology in virtual time: captures per port, a summary of leases, pings, counters, NAT and DHCP",
      (y) =>
        y
          .positional("topology", {
            type: "string",
            describe: "topology file (YAML); default: a built-in NAT demo (examples/nat.yaml)",
          })
          .option("topo", {
            type: "string",
            requiresArg: true,
            describe: "a generated topology: linear,N or star,N[,MODE]",
          })
          .option("seed", {
            type: "string",
            requiresArg: true,
            describe: "random seed (default: the file's, else 1)",
          })
          .option("duration", {
            type: "string",
            requiresArg: true,
            describe: "virtual time to run, e.g. 30s (default: the file's, else 60s)",
          })
          .option("capture-dir", {
            type: "string",
            requiresArg: true,
            describe: "where the pcaps go (default ./vnet-NAME)",
          })
          .option("json", { type: "boolean", describe: "print the report as one JSON object" })
          .example("$0 run examples/nat.yaml", "two VMs behind NAT reaching the simulated outside")
          .example("$0 run --topo star,16 --json", "16 VMs on one NAT network, report as JSON"),
      (a) =>
        run(() => {
          const out = new Output();
          runCommand(
            {
              ...(a.topology !== undefined ? { file: a.topology } : {}),
              ...(a.topo !== undefined ? { topo: a.topo } : {}),
              ...(a.seed !== undefined ? { seed: a.seed } : {}),
              ...(a.duration !== undefined ? { duration: a.duration } : {}),
              ...(a["capture-dir"] !== undefined ? { captureDir: a["capture-dir"] } : {}),
              json: a.json ?? false,
            },
            { out, err: stderrLine, progress: process.stderr.isTTY === true },
          );
          out.flush();
        }),
    )
    .command(
      "replay <source>",
      "replay a capture into a port of a topology (tcpreplay-like), or re-run a recorded run directory",
      (y) =>
        y
          .positional("source", {
            type: "string",
            demandOption: true,
            describe:
              "a capture (pcap/pcapng) to inject, or a run directory (vnet run --capture-dir) to reproduce",
          })
          .option("topology", {
            type: "string",
            requiresArg: true,
            describe: "with a capture: the topology file (default: the built-in NAT demo)",
          })
          .option("topo", {
            type: "string",
            requiresArg: true,
            describe: "with a capture: linear,N or star,N[,MODE]",
          })
          .option("into", {
            type: "string",
            requiresArg: true,
            describe: "with a capture: the port its frames enter at, NODE.PORT or NODE:PORT (vm1.eth0)",
          })
          .option("speed", {
            type: "string",
            requiresArg: true,
            describe: "1 (recorded gaps), N (gaps divided by N) or max (all at once)",
          })
          .option("at", {
            type: "string",
            requiresArg: true,
            describe: "virtual time of the first frame (default 0)",
          })
          .option("rewrite-mac", {
            type: "string",
            requiresArg: true,
            describe: "OLD=NEW: rewrite Ethernet source/destination OLD to NEW (repeatable)",
          })
          .option("seed", { type: "string", requiresArg: true, describe: "with a capture: random seed" })
          .option("duration", {
            type: "string",
            requiresArg: true,
            describe: "with a capture: virtual time to run",
          })
          .option("capture-dir", {
            type: "string",
            requiresArg: true,
            describe: "where the pcaps go (default RUN-DIR-replay, or ./vnet-NAME-replay)",
          })
          .option("json", {
            type: "boolean",
            describe: "print the report as one JSON object (with a replay field)",
          })
          .example("$0 replay vnet-nat", "re-run a recorded run; its captures must come out byte-identical")
          .example(
            "$0 replay ping.pcap --topology examples/host-only.yaml --into vm1.eth0 --speed max",
            "inject a capture's frames as vm1's NIC sending them",
          ),
      (a) =>
        run(() => {
          const out = new Output();
          const raw: unknown = a["rewrite-mac"];
          const rewriteMac = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
          const code = replayCommand(
            {
              source: a.source,
              ...(a.topology !== undefined ? { topology: a.topology } : {}),
              ...(a.topo !== undefined ? { topo: a.topo } : {}),
              ...(a.into !== undefined ? { into: a.into } : {}),
              ...(a.speed !== undefined ? { speed: a.speed } : {}),
              ...(a.at !== undefined ? { at: a.at } : {}),
              rewriteMac,
              ...(a.seed !== undefined ? { seed: a.seed } : {}),
              ...(a.duration !== undefined ? { duration: a.duration } : {}),
              ...(a["capture-dir"] !== undefined ? { captureDir: a["capture-dir"] } : {}),
              json: a.json ?? false,
            },
            { out, err: stderrLine, progress: process.stderr.isTTY === true },
          );
          out.flush();
          if (code !== 0) exitCode = code;
        }),
    )
    .command(
      "serve [topology]",
      "run a topology in real time with real VMs (QEMU) plugged into its VM NICs; the session is recorded for vnet replay",
      (y) =>
        y
          .positional("topology", {
            type: "string",
            describe: "topology file (YAML); default: the built-in NAT demo (examples/nat.yaml)",
          })
          .option("topo", {
            type: "string",
            requiresArg: true,
            describe: "a generated topology: linear,N or star,N[,MODE]",
          })
          .option("listen", {
            type: "string",
            requiresArg: true,
            describe:
              "unix:DIR (a socket per NIC, default: the session dir), tcp:127.0.0.1:PORT or udp:127.0.0.1:PORT (consecutive ports)",
          })
          .option("record", {
            type: "string",
            requiresArg: true,
            describe: "the session directory: captures, edges.pcapng, run.json (default ./vnet-NAME)",
          })
          .option("attach", {
            type: "string",
            array: true,
            requiresArg: true,
            describe:
              "VMs whose NICs real VMs take (comma-separated; default all VMs); the rest stay simulated",
          })
          .option("seed", {
            type: "string",
            requiresArg: true,
            describe: "random seed (default: the file's, else 1)",
          })
          .option("duration", {
            type: "string",
            requiresArg: true,
            describe: "stop after this much real time, e.g. 10m (default: until Ctrl-C / SIGTERM)",
          })
          .example(
            "$0 serve examples/nat.yaml",
            "two VM slots behind QEMU-slirp-like NAT; prints the QEMU flags",
          )
          .example(
            "$0 serve t.yaml --listen tcp:127.0.0.1:5000 --attach vm1",
            "vm1 real over TCP, the rest simulated",
          ),
      (a) =>
        runAsync(async () => {
          const out = new Output();
          await serveCommand(
            {
              ...(a.topology !== undefined ? { file: a.topology } : {}),
              ...(a.topo !== undefined ? { topo: a.topo } : {}),
              ...(a.listen !== undefined ? { listen: a.listen } : {}),
              ...(a.record !== undefined ? { record: a.record } : {}),
              ...(a.attach !== undefined ? { attach: a.attach.map(String) } : {}),
              ...(a.seed !== undefined ? { seed: a.seed } : {}),
              ...(a.duration !== undefined ? { duration: a.duration } : {}),
            },
            { out, err: stderrLine },
          );
          out.flush();
        }),
    )
    .demandCommand(1, `give a command: ${COMMANDS.join(" or ")}`)
    .strict()
    .recommendCommands()
    .fail((msg, e) => {
      // Throwing stops yargs here (a returning handler lets it go on to run the command anyway).
      if (e) throw e;
      const bad = unknownOption(argv);
      throw new UsageError(bad ? `unknown option ${bad} (see vnet --help)` : `${msg} (see vnet --help)`);
    })
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .parseAsync();
  return exitCode;
}

// `vnet --help | head -1`: yargs writes with console.log; a closed pipe must end the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
});

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
