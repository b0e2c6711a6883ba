/**
 * Timestamps as `TZ=GMT0 tcpdump` prints them (util-print.c ts_date_hmsfrac_print / ts_frac_print):
 * `HH:MM:SS.ffffff`, with `-tttt` `YYYY-MM-DD HH:MM:SS.ffffff`, with `--nano` nine digits. The
 * fraction is not normalised: an out-of-range field prints as it is (`.1048579`). Seconds with bit 31
 * set (as a 32-bit value) print `[Error converting time]` and no fraction.
 */

export type TimeFormat = "time" | "datetime" | "none";

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];
const D2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? "0" : "") + i);

/** Rescales a fraction from `fromDigits` to `toDigits` decimal digits as libpcap does (integer division down, multiplication up). */
export function scaleFraction(frac: number, fromDigits: number, toDigits: number): number {
  if (fromDigits === toDigits) return frac;
  if (fromDigits > toDigits) return Math.floor(frac / 10 ** (fromDigits - toDigits));
  return (frac * POW10[toDigits - fromDigits]) >>> 0;
}

/** Days since 1970-01-01 to [year, month, day] (proleptic Gregorian). */
function civil(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

/**
 * Formats a timestamp (without the trailing space). `frac` is in units of 10^-fracDigits; `nano`
 * selects tcpdump's --nano display precision.
 */
export function formatTimestamp(
  sec: number,
  frac: number,
  fracDigits: number,
  format: TimeFormat,
  nano: boolean,
): string {
  if (format === "none") return "";
  if ((sec & 0x80000000) !== 0) return "[Error converting time]";
  const digits = nano ? 9 : 6;
  const f = String(scaleFraction(frac, fracDigits, digits) >>> 0).padStart(digits, "0");
  const days = Math.floor(sec / 86400);
  const rem = sec - days * 86400;
  const hms = `${D2[Math.floor(rem / 3600)]}:${D2[Math.floor(rem / 60) % 60]}:${D2[rem % 60]}`;
  if (format === "time") return `${hms}.${f}`;
  const [y, m, d] = civil(days);
  return `${String(y).padStart(4, "0")}-${D2[m]}-${D2[d]} ${hms}.${f}`;
}
