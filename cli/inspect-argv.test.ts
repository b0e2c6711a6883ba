import fc from "fast-check";
import { describe, expect, it } from "vitest";
import yargs from "yargs";
import type { InspectArgs } from "./inspect.js";
import {
  INSPECT_COMMAND,
  INSPECT_WITH_VALUE,
  type InspectArgv,
  inspectArgsOf,
  inspectOptions,
  normaliseArgv,
  parseInspectArgv,
  protectDashes,
} from "./inspect-argv.js";

// `vnet inspect` parses plain command lines without yargs (inspect-argv.ts). The contract: whenever
// that parser answers, yargs — configured as main.ts configures it, after the same argv rewriting —
// parses the same command line to the same InspectArgs (or the same usage error from inspectArgsOf).

type Outcome = { args: InspectArgs } | { usage: string };

function outcome(a: InspectArgv): Outcome {
  try {
    return { args: inspectArgsOf(a) };
  } catch (e) {
    return { usage: (e as Error).message };
  }
}

/** The handler's argument of the last parse by `parser`. */
let handled: InspectArgv | null = null;

/** yargs configured for inspect as main.ts configures it (one instance: yargs can parse many times). */
const parser = yargs()
  .scriptName("vnet")
  .parserConfiguration({ "parse-positional-numbers": false })
  .command(INSPECT_COMMAND, "inspect", inspectOptions, (a) => {
    handled = a;
  })
  .demandCommand(1)
  .strict()
  .fail((msg, e) => {
    throw e ?? new Error(msg);
  })
  .help()
  .version();

/** The inspect command line through yargs, after main.ts's rewriting: InspectArgs, or a yargs error. */
function viaYargs(raw: readonly string[]): Outcome | { yargsError: string } {
  handled = null;
  try {
    parser.parseSync(protectDashes(normaliseArgv(raw), INSPECT_WITH_VALUE));
  } catch (e) {
    return { yargsError: (e as Error).message };
  }
  const got: InspectArgv | null = handled;
  return got === null ? { yargsError: "no handler call" } : outcome(got);
}

/** Words of plain command lines (options the parser reads, values, files, filter words)… */
const PLAIN = [
  ...["-n", "-e", "-v", "-vv", "-q", "-x", "-xx", "-X", "-XX", "-A", "-nv", "-vX", "-#"],
  ...["-t", "-tt", "-ttt", "-tttt", "-ttttt", "--tttt", "--number", "--nano", "--stats", "--json"],
  ...["-c", "5", "0", "abc", "007", "1e3", "0x10"],
  ...["f.pcap", "g.pcapng", "-", "tcp", "port", "80", "and", "not", "(", ")", "host", "10.0.0.1"],
  ...["len", "tcp[13]&2!=0", "ether[0]=1", "a b", "x=y"],
];
/** …and the ones it leaves to yargs. */
const ODD = [
  ...["-c5", "-nc", "-cn", "-1", "-v-", "--", "true", "false", ""],
  ...["-Z", "--bogus", "--help", "-h", "--version", "--no-json", "--json=true", "-e=1", "--n", "-#n"],
];
const word = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...PLAIN) }, fc.constantFrom(...ODD));

describe("parseInspectArgv", () => {
  it("reads the plain command lines", () => {
    expect(parseInspectArgv(["inspect", "-n", "F"])).toMatchObject({ file: "F", n: true, v: 0 });
    expect(outcome(parseInspectArgv(["inspect", "F", "-vv", "-#", "-c", "3", "udp", "port", "53"])!)).toEqual(
      {
        args: {
          file: "F",
          expression: "udp port 53",
          print: {
            verbose: 2,
            linkHeader: false,
            quick: false,
            hex: 0,
            hexAscii: false,
            ascii: false,
            number: true,
            time: "time",
            nano: false,
          },
          count: 3,
          stats: false,
          json: false,
        },
      },
    );
    // `-` is standard input as the file, arithmetic later; -XX is hex and ASCII with the link header.
    const a = outcome(parseInspectArgv(["inspect", "-", "-XX", "-t", "len", "-", "14", ">", "100"])!);
    expect(a).toMatchObject({
      args: {
        file: "/dev/stdin",
        expression: "len - 14 > 100",
        print: { hex: 2, hexAscii: true, time: "none" },
      },
    });
  });

  it("leaves help, errors and unusual spellings to yargs (null)", () => {
    for (const argv of [
      ["inspect"],
      ["inspect", "--help"],
      ["inspect", "F", "--bogus"],
      ["inspect", "-Z", "F"],
      ["inspect", "-n", "-n", "F"],
      ["inspect", "-c5", "F"],
      ["inspect", "-c", "F"],
      ["inspect", "-t", "-t", "F"],
      ["inspect", "F", "--", "tcp"],
      ["inspect", "-n", "true", "F"],
      ["convert", "a.pcap", "b.pcapng"],
      [],
    ]) {
      expect(parseInspectArgv(argv), argv.join(" ")).toBeNull();
    }
  });

  it("agrees with yargs on every command line it reads", () => {
    let read = 0;
    let all = 0;
    fc.assert(
      fc.property(fc.array(word, { maxLength: 7 }), (tokens) => {
        all++;
        const raw = ["inspect", ...tokens];
        const fast = parseInspectArgv(raw);
        if (fast === null) return;
        read++;
        expect(viaYargs(raw), raw.join(" ")).toEqual(outcome(fast));
      }),
      { numRuns: 400 },
    );
    // The generator must reach the parser's accepting side often, or this proves little.
    expect(read).toBeGreaterThan(all / 3);
  });
});
