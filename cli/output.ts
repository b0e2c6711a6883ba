import { writeSync } from "node:fs";

/**
 * Buffered standard output for commands that print many lines: lines are joined into ~64 KiB
 * chunks and written synchronously, so output and exit codes stay in order and a closed pipe
 * (`vnet inspect F | head`) ends the command quietly instead of throwing.
 */
export class Output {
  #parts: string[] = [];
  #size = 0;
  #closed = false;
  constructor(readonly fd = 1) {}

  get closed(): boolean {
    return this.#closed;
  }

  line(s: string): void {
    this.#parts.push(s, "\n");
    this.#size += s.length + 1;
    if (this.#size >= 65536) this.flush();
  }

  flush(): void {
    if (this.#size === 0 || this.#closed) {
      this.#parts = [];
      this.#size = 0;
      return;
    }
    const buf = Buffer.from(this.#parts.join(""), "utf8");
    this.#parts = [];
    this.#size = 0;
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
        throw e;
      }
    }
  }
}
