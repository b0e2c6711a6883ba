/**
 * What a capture reader yields and a writer takes. The same shape for pcap and pcapng.
 *
 * Timestamps are kept as the file has them — whole seconds plus a fraction in the file's (or
 * interface's) resolution — because tcpdump prints out-of-range fractions as they are
 * (`.1048579` for a µs field of 1048579). `fracDigits` says how many decimal digits one unit of the
 * fraction has: 6 for microseconds, 9 for nanoseconds (pcapng `if_tsresol` may give others; readers
 * convert non-decimal resolutions to the nearest decimal one).
 */
export interface CaptureRecord {
  /** Seconds since the Unix epoch (may be negative or huge in hostile files). */
  readonly tsSec: number;
  /** Fraction of a second in units of 10^-fracDigits; NOT normalised (may be >= 10^fracDigits). */
  readonly tsFrac: number;
  readonly fracDigits: number;
  /** Link type (LINKTYPE_*) of the interface the record belongs to, low 16 bits. */
  readonly linkType: number;
  /** Interface index (pcapng IDB order within the file; 0 for pcap). */
  readonly iface: number;
  /** Bytes on the wire (original length). */
  readonly origLen: number;
  /** The captured bytes (caplen = data.byteLength): a view into the reader's chunk, valid until the next record. */
  readonly data: Uint8Array;
}

/** LINKTYPE_* values vnet reads and writes (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
} as const;
