#!/usr/bin/env node
/**
 * The `vnet` command. Thin: parses arguments with yargs and calls the modules. Every error reaches
 * the user as one line on stderr and a non-zero exit (see errors.ts); never a stack trace for bad input.
 */
import { extname } from "node:path";
import { convertCapture } from "../captures/convert.js";
import { describeError, UsageError } from "./errors.js";
import { checkInputFile, checkOutputFile } from "./files.js";
import { inspect } from "./inspect.js";
import {
  INSPECT_COMMAND,
  INSPECT_DESCRIBE,
  INSPECT_WITH_VALUE,
  inspectArgsOf,
  inspectOptions,
  normaliseArgv,
  parseInspectArgv,
  protectDashes,
} from "./inspect-argv.js";
import { Output } from "./output.js";

// yargs and the modules of run, replay and serve (zod, yaml, the whole network stack) are imported
// when a command needs them: a plain `vnet inspect` loads none of them (see inspect-argv.ts).

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

const COMMANDS = ["inspect", "convert", "run", "replay", "serve", "vm"] as const;

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
    withValue: INSPECT_WITH_VALUE,
  },
  convert: { flags: ["nano"], withValue: ["format"] },
  run: { flags: ["json"], withValue: ["seed", "duration", "capture-dir", "topo"] },
  replay: {
    flags: ["json"],
    withValue: ["topology", "topo", "into", "speed", "at", "rewrite-mac", "seed", "duration", "capture-dir"],
  },
  serve: { flags: [], withValue: ["topo", "listen", "record", "attach", "seed", "duration"] },
  vm: { flags: ["dry-run"], withValue: ["topo", "record", "seed", "duration"] },
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

/** Errors about convert's temporary file name the output the user asked for. */
function convertError(e: unknown, out: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.path === "string" && err.path.startsWith(`${out}.tmp-`))
    err.path = out;
  return e;
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
  const argv = protectDashes(normaliseArgv(rawArgv), KNOWN_OPTIONS[rawArgv[0] ?? ""]?.withValue ?? []);
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
  // `vnet inspect` with a plain command line: the same command, without loading yargs.
  const plainInspect = parseInspectArgv(rawArgv);
  if (plainInspect !== null) {
    run(() => inspect(inspectArgsOf(plainInspect), new Output(), stderrLine));
    return exitCode;
  }
  const { default: yargs } = await import("yargs");
  await yargs(argv)
    .scriptName("vnet")
    .usage("$0 <command> [options]")
    .parserConfiguration({ "parse-positional-numbers": false })
    .command(INSPECT_COMMAND, INSPECT_DESCRIBE, inspectOptions, (a) =>
      run(() => inspect(inspectArgsOf(a), new Output(), stderrLine)),
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
            r = convertCapture(a.in, a.out, { format, nano: a.nano });
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
        runAsync(async () => {
          const { runCommand } = await import("./run.js");
          const out = new Output();
          runCommand(
            {
              file: a.topology,
              topo: a.topo,
              seed: a.seed,
              duration: a.duration,
              captureDir: a["capture-dir"],
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
        runAsync(async () => {
          const { replayCommand } = await import("./replay.js");
          const out = new Output();
          const raw: unknown = a["rewrite-mac"];
          const rewriteMac = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
          const code = replayCommand(
            {
              source: a.source,
              topology: a.topology,
              topo: a.topo,
              into: a.into,
              speed: a.speed,
              at: a.at,
              rewriteMac,
              seed: a.seed,
              duration: a.duration,
              captureDir: a["capture-dir"],
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
          const { serveCommand } = await import("./serve.js");
          const out = new Output();
          await serveCommand(
            {
              file: a.topology,
              topo: a.topo,
              listen: a.listen,
              record: a.record,
              attach: a.attach?.map(String),
              seed: a.seed,
              duration: a.duration,
            },
            { out, err: stderrLine },
          );
          out.flush();
        }),
    )
    .command(
      "vm [topology]",
      "run a topology in real time and launch a QEMU for each VM with a qemu: block, its NICs on inherited fds; the session is recorded for vnet replay",
      (y) =>
        y
          .positional("topology", {
            type: "string",
            describe: "topology file (YAML) with qemu: blocks in vms:",
          })
          .option("topo", {
            type: "string",
            requiresArg: true,
            describe: "a generated topology: linear,N or star,N[,MODE]",
          })
          .option("record", {
            type: "string",
            requiresArg: true,
            describe:
              "the session directory: captures, edges.pcapng, run.json, vms.json (default ./vnet-NAME)",
          })
          .option("seed", {
            type: "string",
            requiresArg: true,
            describe: "random seed (default: the file's, else 1)",
          })
          .option("duration", {
            type: "string",
            requiresArg: true,
            describe:
              "stop the VMs after this much real time (default: when they have all exited, or Ctrl-C)",
          })
          .option("dry-run", {
            type: "boolean",
            describe: "print each QEMU command line (and which fd is which NIC) and start nothing",
          })
          .example(
            "$0 vm lab.yaml",
            "boot the VMs of lab.yaml on its networks; their consoles prefixed vm1 | …",
          )
          .example("$0 vm lab.yaml --dry-run", "the QEMU command lines vnet would run"),
      (a) =>
        runAsync(async () => {
          const { vmCommand } = await import("./vm.js");
          const out = new Output();
          const r = await vmCommand(
            {
              file: a.topology,
              topo: a.topo,
              record: a.record,
              seed: a.seed,
              duration: a.duration,
              dryRun: a["dry-run"] ?? false,
            },
            { out, err: stderrLine },
          );
          out.flush();
          if (r.code !== 0) exitCode = r.code;
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const { message, code } = describeError(e);
    stderrLine(`vnet: ${message}`);
    process.exitCode = code;
  },
);
