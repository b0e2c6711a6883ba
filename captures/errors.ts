/**
 * The one error a user sees for a malformed or truncated capture file.
 *
 * `reason` is worded like libpcap 1.10.3 where libpcap has a message for the fault, so it can be
 * compared with `tcpdump -r` stderr (minus tcpdump's `tcpdump: ` / `pcap_loop: ` prefixes);
 * `offset` is the byte offset in the file of the file header, record or block at fault; `file` is
 * the path (or the name given for in-memory input). The message names all three, once.
 *
 * "Need more bytes" is not an error: inside the readers, `ByteSource.ensure(n)` answers with how many
 * bytes are available and refills across chunk boundaries; only a shortfall at end of file turns
 * into a CaptureError ("truncated dump file; tried to read N …, only got M").
 */
export class CaptureError extends Error {
  override readonly name = "CaptureError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: ${reason} (at byte offset ${offset})`);
  }
}
