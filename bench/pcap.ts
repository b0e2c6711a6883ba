import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openCapture } from "../captures/reader.js";
import { writeMixedPcap } from "./gen.js";
import {
  type Bench,
  type BenchContext,
  haveCommand,
  median,
  rateRow,
  timeAsync,
  timeCommand,
  timeIt,
} from "./harness.js";

const PACKETS = 1_000_000;

/** The 1,000,000-packet mixed capture both benchmarks read (generated once, kept in the work dir). */
function mixedCapture(ctx: BenchContext): string {
  const path = join(ctx.workDir, `mixed-${PACKETS}.pcap`);
  if (!existsSync(path)) {
    ctx.log(`generating ${PACKETS.toLocaleString("en-US")} packets into ${path}`);
    writeMixedPcap(path, PACKETS);
  }
  // Warm the page cache so every reader starts from the same place.
  timeCommand(`cat '${path}' > /dev/null`);
  return path;
}

function vnetCount(path: string): { packets: number; bytes: number } {
  const r = openCapture(path);
  let packets = 0;
  let bytes = 0;
  for (let rec = r.next(); rec !== null; rec = r.next()) {
    packets++;
    bytes += rec.data.byteLength;
  }
  r.close();
  return { packets, bytes };
}

interface PcapParserStream {
  on(ev: "packet", f: () => void): void;
  on(ev: "end", f: () => void): void;
  on(ev: "error", f: (e: Error) => void): void;
}

function pcapParserCount(path: string): Promise<number> {
  const pcapParser = createRequire(import.meta.url)("pcap-parser") as { parse(p: string): PcapParserStream };
  return new Promise((resolve, reject) => {
    let n = 0;
    const p = pcapParser.parse(path);
    p.on("packet", () => n++);
    p.on("error", reject);
    p.on("end", () => resolve(n));
  });
}

const readBench: Bench = {
  name: "pcap-read",
  describe: "read a 1M-packet mixed pcap: vnet's reader vs libpcap (tcpdump -w /dev/null), pcap-parser, cat",
  async run(ctx) {
    const path = mixedCapture(ctx);
    const check = vnetCount(path);
    if (check.packets !== PACKETS) throw new Error(`vnet read ${check.packets} packets, expected ${PACKETS}`);
    const vnet = PACKETS / (await median(ctx.rounds, () => timeIt(() => vnetCount(path))));
    const rows = [];
    if (haveCommand("tcpdump")) {
      const t = await median(ctx.rounds, () => timeCommand(`tcpdump -r '${path}' -w /dev/null 2>/dev/null`));
      rows.push(rateRow("pcap-read", "packets/s", vnet, "tcpdump -r F -w /dev/null (libpcap)", PACKETS / t));
    } else {
      rows.push(rateRow("pcap-read", "packets/s", vnet, "tcpdump (not installed)", null));
    }
    const pp = await median(1, () =>
      timeAsync(async () => {
        const n = await pcapParserCount(path);
        if (n !== PACKETS) throw new Error(`pcap-parser read ${n} packets, expected ${PACKETS}`);
      }),
    );
    rows.push(rateRow("pcap-read", "packets/s", vnet, "pcap-parser (npm)", PACKETS / pp));
    const cat = await median(ctx.rounds, () => timeCommand(`cat '${path}' > /dev/null`));
    rows.push(
      rateRow(
        "pcap-read",
        "packets/s",
        vnet,
        "cat F > /dev/null",
        PACKETS / cat,
        `${(statSync(path).size / 1e6).toFixed(0)} MB file; cat only moves bytes, it is the ceiling`,
      ),
    );
    return rows;
  },
};

const printBench: Bench = {
  name: "pcap-print",
  describe: "print a 1M-packet mixed pcap: vnet inspect -n vs tcpdump -n, both to /dev/null",
  async run(ctx) {
    const path = mixedCapture(ctx);
    const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
    const vnetRun = () => timeCommand(`node '${cli}' inspect -n '${path}' > /dev/null 2>&1`);
    if (!haveCommand("tcpdump")) {
      const vnetT = await median(ctx.rounds, vnetRun);
      return [rateRow("pcap-print", "packets/s", PACKETS / vnetT, "tcpdump (not installed)", null)];
    }
    // Rounds alternate (vnet, tcpdump, vnet, …) so a change of the machine's load hits both sides alike.
    const vnetTs: number[] = [];
    const tcpTs: number[] = [];
    for (let i = 0; i < ctx.rounds; i++) {
      vnetTs.push(await vnetRun());
      tcpTs.push(await timeCommand(`tcpdump -n -r '${path}' > /dev/null 2>&1`));
    }
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return [
      rateRow(
        "pcap-print",
        "packets/s",
        PACKETS / mid(vnetTs),
        "tcpdump -n -r F > /dev/null",
        PACKETS / mid(tcpTs),
      ),
    ];
  },
};

export const pcapBenches: Bench[] = [readBench, printBench];
