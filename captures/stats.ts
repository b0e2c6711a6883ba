import type { CaptureRecord } from "./record.js";
import { type PacketSummary, summarize, summaryDst, summaryJson, summarySrc } from "./summary.js";

/**
 * What `vnet inspect --stats FILE` prints: totals and rates, a protocol hierarchy (like
 * `tshark -q -z io,phs`), IPv4/IPv6 conversations (like `tshark -q -z conv,ip` / `conv,ipv6`: A is the
 * source of the conversation's first packet, "->" counts A to B, "<-" B to A, bytes are on-wire lengths)
 * and top talkers. Fed one record at a time; memory is bounded: at most `maxConversations` conversations
 * and `maxHosts` talkers are tracked, packets of the rest are counted in `untracked`.
 */
export interface StatsOptions {
  readonly maxConversations?: number;
  readonly maxHosts?: number;
  readonly topTalkers?: number;
}

export interface Conversation {
  readonly family: "ipv4" | "ipv6";
  readonly a: string;
  readonly b: string;
  framesAtoB: number;
  bytesAtoB: number;
  framesBtoA: number;
  bytesBtoA: number;
  /** Absolute seconds of the first and last packet. */
  first: number;
  last: number;
}

export interface Talker {
  readonly address: string;
  packets: number;
  bytes: number;
}

export interface StatsResult {
  readonly packets: number;
  readonly bytes: number;
  readonly capturedBytes: number;
  /** Seconds since the epoch of the first / last record (NaN when empty). */
  readonly firstTime: number;
  readonly lastTime: number;
  readonly duration: number;
  readonly packetsPerSecond: number;
  readonly bitsPerSecond: number;
  /** Protocol path ("eth:ip:tcp") → frames/bytes of the packets whose stack starts with that path. */
  readonly hierarchy: ReadonlyMap<string, { frames: number; bytes: number }>;
  readonly conversations: readonly Conversation[];
  readonly untrackedConversations: { frames: number; bytes: number };
  readonly talkers: readonly Talker[];
  readonly untrackedTalkers: { packets: number; bytes: number };
}

function recordTime(r: Pick<CaptureRecord, "tsSec" | "tsFrac" | "fracDigits">): number {
  return r.tsSec + r.tsFrac / 10 ** r.fracDigits;
}

export class CaptureStats {
  #packets = 0;
  #bytes = 0;
  #captured = 0;
  #first = Number.NaN;
  #last = Number.NaN;
  readonly #phs = new Map<string, { frames: number; bytes: number }>();
  readonly #convs = new Map<string, Conversation>();
  readonly #untrackedConv = { frames: 0, bytes: 0 };
  readonly #hosts = new Map<string, Talker>();
  readonly #untrackedHosts = { packets: 0, bytes: 0 };
  readonly #maxConv: number;
  readonly #maxHosts: number;
  readonly #top: number;

  constructor(opts: StatsOptions = {}) {
    this.#maxConv = opts.maxConversations ?? 10_000;
    this.#maxHosts = opts.maxHosts ?? 10_000;
    this.#top = opts.topTalkers ?? 10;
  }

  /** Adds one record; pass the summary if the caller already computed it. */
  add(rec: CaptureRecord, summary?: PacketSummary): PacketSummary {
    const s = summary ?? summarize(rec.data, rec.origLen, rec.linkType);
    const t = recordTime(rec);
    const len = rec.origLen;
    this.#packets++;
    this.#bytes += len;
    this.#captured += rec.data.length;
    if (this.#packets === 1) this.#first = t;
    this.#last = t;

    let path = "";
    for (const l of s.layers) {
      path = path === "" ? l : `${path}:${l}`;
      const e = this.#phs.get(path);
      if (e) {
        e.frames++;
        e.bytes += len;
      } else this.#phs.set(path, { frames: 1, bytes: len });
    }

    if (s.network === "ipv4" || s.network === "ipv6") {
      const src = summarySrc(s) ?? "";
      const dst = summaryDst(s) ?? "";
      const key = src < dst ? `${s.network} ${src} ${dst}` : `${s.network} ${dst} ${src}`;
      let c = this.#convs.get(key);
      if (!c) {
        if (this.#convs.size < this.#maxConv) {
          c = {
            family: s.network,
            a: src,
            b: dst,
            framesAtoB: 0,
            bytesAtoB: 0,
            framesBtoA: 0,
            bytesBtoA: 0,
            first: t,
            last: t,
          };
          this.#convs.set(key, c);
        } else {
          this.#untrackedConv.frames++;
          this.#untrackedConv.bytes += len;
        }
      }
      if (c) {
        if (c.a === src && c.b === dst) {
          c.framesAtoB++;
          c.bytesAtoB += len;
        } else {
          c.framesBtoA++;
          c.bytesBtoA += len;
        }
        c.last = t;
      }
      this.#talk(src, len);
      if (dst !== src) this.#talk(dst, len);
    }
    return s;
  }

  #talk(addr: string, len: number): void {
    const h = this.#hosts.get(addr);
    if (h) {
      h.packets++;
      h.bytes += len;
    } else if (this.#hosts.size < this.#maxHosts) {
      this.#hosts.set(addr, { address: addr, packets: 1, bytes: len });
    } else {
      this.#untrackedHosts.packets++;
      this.#untrackedHosts.bytes += len;
    }
  }

  result(): StatsResult {
    const duration = this.#packets > 0 ? this.#last - this.#first : 0;
    const talkers = [...this.#hosts.values()]
      .sort((x, y) => y.bytes - x.bytes || y.packets - x.packets || (x.address < y.address ? -1 : 1))
      .slice(0, this.#top)
      .map((t) => ({ ...t }));
    return {
      packets: this.#packets,
      bytes: this.#bytes,
      capturedBytes: this.#captured,
      firstTime: this.#first,
      lastTime: this.#last,
      duration,
      packetsPerSecond: duration > 0 ? this.#packets / duration : 0,
      bitsPerSecond: duration > 0 ? (this.#bytes * 8) / duration : 0,
      hierarchy: new Map([...this.#phs].map(([k, v]) => [k, { ...v }])),
      conversations: [...this.#convs.values()].map((c) => ({ ...c })),
      untrackedConversations: { ...this.#untrackedConv },
      talkers,
      untrackedTalkers: { ...this.#untrackedHosts },
    };
  }

  /** The text report. */
  toText(): string {
    const r = this.result();
    const out: string[] = [];
    out.push(`Packets: ${r.packets}`);
    out.push(`Bytes: ${r.bytes} (captured ${r.capturedBytes})`);
    if (r.packets > 0) {
      out.push(`First packet: ${isoTime(r.firstTime) ?? r.firstTime}`);
      out.push(`Last packet: ${isoTime(r.lastTime) ?? r.lastTime}`);
    }
    out.push(`Duration: ${r.duration.toFixed(6)} s`);
    out.push(
      `Average rate: ${r.packetsPerSecond.toFixed(3)} packets/s, ${r.bitsPerSecond.toFixed(3)} bits/s`,
    );
    out.push("");
    out.push("=".repeat(67));
    out.push("Protocol Hierarchy Statistics");
    out.push("");
    for (const [path, v] of r.hierarchy) {
      const depth = path.split(":").length - 1;
      const name = path.slice(path.lastIndexOf(":") + 1);
      out.push(`${`${"  ".repeat(depth)}${name}`.padEnd(40)} frames:${v.frames} bytes:${v.bytes}`);
    }
    out.push("=".repeat(67));
    for (const fam of ["ipv4", "ipv6"] as const) {
      const cs = r.conversations.filter((c) => c.family === fam);
      if (cs.length === 0) continue;
      out.push("");
      out.push("=".repeat(80));
      out.push(`${fam === "ipv4" ? "IPv4" : "IPv6"} Conversations`);
      out.push(
        `${"".padEnd(47)}|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |`,
      );
      out.push(
        `${"".padEnd(47)}| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |`,
      );
      for (const c of sortConversations(cs)) {
        out.push(
          `${c.a.padEnd(20)} <-> ${c.b.padEnd(20)} ${String(c.framesBtoA).padStart(6)} ${c.bytesBtoA} bytes ` +
            `${String(c.framesAtoB).padStart(6)} ${c.bytesAtoB} bytes ` +
            `${String(c.framesAtoB + c.framesBtoA).padStart(6)} ${c.bytesAtoB + c.bytesBtoA} bytes ` +
            `${(c.first - r.firstTime).toFixed(9).padStart(16)} ${(c.last - c.first).toFixed(4).padStart(14)}`,
        );
      }
      out.push("=".repeat(80));
    }
    if (r.untrackedConversations.frames > 0)
      out.push(
        `(conversation table full: ${r.untrackedConversations.frames} frames, ${r.untrackedConversations.bytes} bytes not tracked)`,
      );
    if (r.talkers.length > 0) {
      out.push("");
      out.push("Top talkers (bytes sent + received)");
      for (const t of r.talkers)
        out.push(`${t.address.padEnd(40)} ${String(t.packets).padStart(8)} packets ${t.bytes} bytes`);
    }
    return `${out.join("\n")}\n`;
  }

  /** `--stats --json`: one JSON object per line (summary, protocols, conversations, talkers). */
  toJsonLines(): string[] {
    const r = this.result();
    const lines: string[] = [];
    lines.push(
      JSON.stringify({
        type: "summary",
        packets: r.packets,
        bytes: r.bytes,
        capturedBytes: r.capturedBytes,
        firstTime: r.packets > 0 ? isoTime(r.firstTime) : null,
        lastTime: r.packets > 0 ? isoTime(r.lastTime) : null,
        duration: r.duration,
        packetsPerSecond: r.packetsPerSecond,
        bitsPerSecond: r.bitsPerSecond,
      }),
    );
    for (const [path, v] of r.hierarchy) lines.push(JSON.stringify({ type: "protocol", path, ...v }));
    for (const c of sortConversations(r.conversations)) {
      lines.push(
        JSON.stringify({
          type: "conversation",
          family: c.family,
          a: c.a,
          b: c.b,
          framesAtoB: c.framesAtoB,
          bytesAtoB: c.bytesAtoB,
          framesBtoA: c.framesBtoA,
          bytesBtoA: c.bytesBtoA,
          frames: c.framesAtoB + c.framesBtoA,
          bytes: c.bytesAtoB + c.bytesBtoA,
          relativeStart: c.first - r.firstTime,
          duration: c.last - c.first,
        }),
      );
    }
    if (r.untrackedConversations.frames > 0)
      lines.push(JSON.stringify({ type: "untracked-conversations", ...r.untrackedConversations }));
    for (const t of r.talkers) lines.push(JSON.stringify({ type: "talker", ...t }));
    return lines;
  }
}

function sortConversations(cs: readonly Conversation[]): Conversation[] {
  return [...cs].sort(
    (x, y) => y.framesAtoB + y.framesBtoA - (x.framesAtoB + x.framesBtoA) || x.first - y.first,
  );
}

/** ISO 8601 UTC with the given fraction digits; null when the time is outside Date's range. */
function isoTime(t: number, digits = 6): string | null {
  const sec = Math.floor(t);
  const frac = Math.round((t - sec) * 10 ** digits);
  return isoFrom(sec, frac, digits);
}

function isoFrom(sec: number, frac: number, digits: number): string | null {
  const unit = 10 ** digits;
  const s = sec + Math.floor(frac / unit);
  const f = frac % unit;
  const d = new Date(s * 1000);
  if (!Number.isFinite(d.getTime())) return null;
  const base = d.toISOString().slice(0, 19);
  return digits > 0 ? `${base}.${String(f).padStart(digits, "0")}Z` : `${base}Z`;
}

/**
 * One line of `vnet inspect --json`: packet number (1-based), time (ISO UTC, plus the raw seconds and
 * fraction as the file has them), caplen, len, the summary fields, and the printed line when given.
 */
export function packetJson(
  number: number,
  rec: CaptureRecord,
  summary?: PacketSummary,
  line?: string,
): string {
  const s = summary ?? summarize(rec.data, rec.origLen, rec.linkType);
  const o: Record<string, unknown> = {
    number,
    time: isoFrom(rec.tsSec, rec.tsFrac, rec.fracDigits),
    tsSec: rec.tsSec,
    tsFrac: rec.tsFrac,
    fracDigits: rec.fracDigits,
    caplen: rec.data.length,
    len: rec.origLen,
    ...summaryJson(s),
  };
  if (line !== undefined) o.line = line;
  return JSON.stringify(o);
}
