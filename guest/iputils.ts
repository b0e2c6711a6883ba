/**
 * The arithmetic and text of iputils `ping` (ping/ping_common.c, ping/ping_output.c), so results
 * print exactly as Linux's ping prints them. Times here are integer microseconds, as iputils keeps them.
 */

/** C's `%g` (6 significant digits) of a value that went through a C `float`, as iputils prints the loss. */
export function formatFloatG(v: number): string {
  const f = Math.fround(v);
  if (f === 0) return "0";
  if (!Number.isFinite(f)) return Number.isNaN(f) ? "nan" : f > 0 ? "inf" : "-inf";
  const exp = Math.floor(Math.log10(Math.abs(f)));
  let s = f.toPrecision(6);
  // toPrecision may round up into the next decade (9.999996 -> "10.0000"); it picks its own form.
  const e = s.includes("e") ? Number(s.slice(s.indexOf("e") + 1)) : exp;
  if (e < -4 || e >= 6) {
    s = f.toExponential(5);
    let [mant, ex] = s.split("e");
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const n = Number(ex);
    ex = `${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
    return `${mant}e${ex}`;
  }
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** iputils' integer square root (Newton's method on integers, `llsqrt`). */
export function llsqrt(a: number): number {
  let prev = Number.MAX_SAFE_INTEGER;
  let x = a;
  if (x > 0) {
    while (x < prev) {
      prev = x;
      x = Math.floor((x + Math.floor(a / x)) / 2);
    }
  }
  return x;
}

/** `%ld.%03ld` of a microsecond value as milliseconds. */
export function msFixed3(us: number): string {
  const t = Math.trunc(us);
  return `${Math.trunc(t / 1000)}.${String(Math.abs(t % 1000)).padStart(3, "0")}`;
}

/** The ` time=… ms` value of one reply line (iputils picks precision by magnitude). */
export function formatReplyTime(triptime: number): string {
  if (triptime >= 100000 - 50) return `${Math.trunc((triptime + 500) / 1000)}`;
  if (triptime >= 10000 - 5) {
    return `${Math.trunc((triptime + 50) / 1000)}.${Math.trunc(((triptime + 50) % 1000) / 100)}`;
  }
  if (triptime >= 1000) {
    return `${Math.trunc((triptime + 5) / 1000)}.${String(Math.trunc(((triptime + 5) % 1000) / 10)).padStart(2, "0")}`;
  }
  return msFixed3(triptime);
}

/** Round-trip statistics as iputils accumulates them (`tsum`, `tsum2` doubles; `tmin`, `tmax` longs). */
export class RttStats {
  tsum = 0;
  tsum2 = 0;
  tmin = Number.MAX_SAFE_INTEGER;
  tmax = 0;
  /** Samples added (replies and duplicates, as iputils adds both before its duplicate check). */
  count = 0;

  add(triptime: number): void {
    this.tsum += triptime;
    this.tsum2 += triptime * triptime;
    if (triptime < this.tmin) this.tmin = triptime;
    if (triptime > this.tmax) this.tmax = triptime;
    this.count++;
  }

  /** min / avg / max / mdev in µs, computed as `ping_print_statistics` does; null without samples. */
  summary(total: number): { min: number; avg: number; max: number; mdev: number } | null {
    if (total <= 0 || this.count === 0) return null;
    const tmavg = Math.trunc(this.tsum / total);
    const INT_MAX = 2147483647;
    const tmvar =
      this.tsum < INT_MAX
        ? Math.trunc((this.tsum2 - (this.tsum * this.tsum) / total) / total)
        : Math.trunc(this.tsum2 / total - tmavg * tmavg);
    return { min: this.tmin, avg: tmavg, max: this.tmax, mdev: llsqrt(tmvar) };
  }
}

/** pr_icmph's text for an ICMP error (type, code, info = next-hop MTU for frag-needed). */
export function icmpErrorText(type: number, code: number, info = 0): string {
  if (type === 3) {
    const texts: Record<number, string> = {
      0: "Destination Net Unreachable",
      1: "Destination Host Unreachable",
      2: "Destination Protocol Unreachable",
      3: "Destination Port Unreachable",
      5: "Source Route Failed",
      6: "Destination Net Unknown",
      7: "Destination Host Unknown",
      8: "Source Host Isolated",
      9: "Destination Net Prohibited",
      10: "Destination Host Prohibited",
      11: "Destination Net Unreachable for Type of Service",
      12: "Destination Host Unreachable for Type of Service",
      13: "Packet filtered",
      14: "Precedence Violation",
      15: "Precedence Cutoff",
    };
    if (code === 4) return `Frag needed and DF set (mtu = ${info})`;
    return texts[code] ?? `Dest Unreachable, Bad Code: ${code}`;
  }
  if (type === 11) {
    if (code === 0) return "Time to live exceeded";
    if (code === 1) return "Frag reassembly time exceeded";
    return `Time exceeded, Bad Code: ${code}`;
  }
  if (type === 4) return "Source Quench";
  if (type === 12) return `Parameter problem: pointer = ${info}`;
  return `Bad ICMP type: ${type}`;
}

/** The kind an ICMP error is counted under (the text without the MTU number). */
export function icmpErrorKind(type: number, code: number): string {
  return type === 3 && code === 4 ? "Frag needed and DF set" : icmpErrorText(type, code);
}
