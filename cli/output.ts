import { writeSync } from "node:fs";

/** Pending output is written once it reaches this many bytes. */
const CHUNK = 65536;

/**
 * Buffered standard output for commands that print many lines: lines are encoded (UTF-8) into one
 * reusable byte buffer and written synchronously in ~64 KiB chunks, so output and exit codes stay in
 * order and a closed pipe (`vnet inspect F | head`) ends the command quietly instead of throwing.
 * Printers that produce bytes write straight into the buffer (`reserve`, `buffer`, `commit`), with
 * no string in between.
 */
export class Output {
  /** Pending bytes are `#buf[0, #pos)`. */
  #buf: Buffer = Buffer.allocUnsafe(2 * CHUNK);
  #pos = 0;
  #closed = false;
  constructor(readonly fd = 1) {}

  get closed(): boolean {
    return this.#closed;
  }

  line(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
    const pos = this.reserve(s.length * 3 + 1);
    const end = pos + this.#buf.write(s, pos, "utf8");
    this.#buf[end] = 0x0a;
    this.commit(end + 1);
  }

  /**
   * Makes room for `n` bytes of direct writing (flushing or growing the buffer as needed) and returns
   * the position in `buffer` to write them at; `commit` then says where they end.
   */
  reserve(n: number): number {
    if (this.#pos + n > this.#buf.length) {
      this.flush();
      if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(n);
    }
    return this.#pos;
  }

  /** The buffer `reserve` made room in (valid until the next `reserve`, `line` or `flush`). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Takes the bytes written after `reserve` up to `end` as output. */
  commit(end: number): void {
    this.#pos = end;
    if (end >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.#pos === 0 || this.#closed) {
      this.#pos = 0;
      return;
    }
    // The buffer is reused only after this synchronous write is done.
    const buf = this.#buf.subarray(0, this.#pos);
    this.#pos = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        if (code === "EPIPE") {
          this.#closed = true;
          return;
        }
        if (e instanceof Error && typeof (e as NodeJS.ErrnoException).path !== "string") {
          (e as NodeJS.ErrnoException).path = this.fd === 1 ? "<stdout>" : `<fd ${this.fd}>`;
        }
        throw e;
      }
    }
  }
}
