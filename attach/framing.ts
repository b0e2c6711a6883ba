/**
 * QEMU's socket framing, the two forms a Node process sees.
 *
 * - Streams (`-netdev stream`, legacy `-netdev socket` over TCP, a unix socket or an inherited fd): each
 *   frame is a 4-byte big-endian length, then the frame (from the destination MAC; no FCS, no virtio-net
 *   header, no padding). A reader must reassemble across arbitrary read boundaries (QEMU net/net.c
 *   `net_fill_rstate` does the same walk: length, then data).
 * - Datagrams (`-netdev dgram`, legacy `socket,udp=`): one frame per datagram, no length field.
 *
 * A stream is only as good as its length fields: one bad length desynchronises the rest, so a length of 0
 * or above the largest frame the port can carry is a `FramingError` and the decoder is finished (the
 * attach point closes the connection with one log line; QEMU closes its side the same way on a bad
 * length). Datagrams cannot desynchronise: a bad one is only a counted drop.
 *
 * The decoder hands out views into the chunk it was given (zero copy) when a frame lies inside one chunk,
 * and a new buffer when a frame straddles chunks; it never writes into a buffer it handed out.
 */

/** Bytes of the length field in front of each frame on a stream. */
export const STREAM_HEADER_LEN = 4;

/** Ethernet header (no VLAN tag). */
const ETH_HLEN = 14;

/**
 * The largest frame a stream or datagram may carry for a port of this MTU: MTU + 14-byte Ethernet header
 * + two 4-byte VLAN tags (802.1ad outer + 802.1Q inner). A guest at MTU 1500 sends at most 1514 bytes
 * (1518 with one tag); anything far above is not a frame but garbage.
 */
export function maxFrameLenFor(mtu: number, vlanTags = 2): number {
  return mtu + ETH_HLEN + 4 * vlanTags;
}

/** Why a stream was refused. */
export type FramingReason = "zero-length" | "too-long" | "truncated";

/** A stream that cannot be framed any more: one clear message with the numbers and the stream offset. */
export class FramingError extends Error {
  override readonly name = "FramingError";
  constructor(
    readonly reason: FramingReason,
    /** Byte offset in the stream (since the decoder started) of the length field or the cut. */
    readonly offset: number,
    /** The length read (too-long, zero-length) or still missing (truncated). */
    readonly length: number,
    /** The largest length accepted. */
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/** One frame with its length in front, as a new buffer (for tests and single sends). */
export function encodeStreamFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(STREAM_HEADER_LEN + frame.byteLength);
  writeLength(out, 0, frame.byteLength);
  out.set(frame, STREAM_HEADER_LEN);
  return out;
}

/** Several frames, each with its length, in one buffer. */
export function encodeStreamFrames(frames: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const f of frames) n += STREAM_HEADER_LEN + f.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const f of frames) {
    writeLength(out, o, f.byteLength);
    out.set(f, o + STREAM_HEADER_LEN);
    o += STREAM_HEADER_LEN + f.byteLength;
  }
  return out;
}

function writeLength(buf: Uint8Array, at: number, len: number): void {
  buf[at] = len >>> 24;
  buf[at + 1] = (len >>> 16) & 0xff;
  buf[at + 2] = (len >>> 8) & 0xff;
  buf[at + 3] = len & 0xff;
}

/** Called for each frame a decoder completes. The frame must not be written to (others may hold it). */
export type FrameSink = (frame: Uint8Array) => void;

export interface StreamDecoderOptions {
  /** Largest frame accepted (default `maxFrameLenFor(1500)` = 1522). */
  readonly maxFrameLen?: number;
}

/**
 * Reassembles length-prefixed frames from a byte stream cut anywhere. `push(chunk)` hands every complete
 * frame to the sink in order and returns null, or returns the FramingError that ended the stream (the
 * decoder is then finished: further pushes return the same error and deliver nothing). `end()` says the
 * stream closed: a frame cut in the middle is a "truncated" error; a clean boundary is null.
 */
export class StreamDecoder {
  readonly maxFrameLen: number;
  readonly #sink: FrameSink;
  /** Bytes of the length field gathered so far (when it straddles chunks). */
  readonly #hdr = new Uint8Array(STREAM_HEADER_LEN);
  #hdrHave = 0;
  /** The frame being reassembled across chunks, and how much of it is filled. */
  #part: Uint8Array | null = null;
  #partHave = 0;
  /** Stream bytes consumed before the current chunk. */
  #offset = 0;
  #error: FramingError | null = null;
  /** Frames completed since the decoder was made. */
  frames = 0;

  constructor(sink: FrameSink, opts: StreamDecoderOptions = {}) {
    this.#sink = sink;
    this.maxFrameLen = opts.maxFrameLen ?? maxFrameLenFor(1500);
  }

  /** The error that finished the stream, if any. */
  get error(): FramingError | null {
    return this.#error;
  }

  /** Bytes held for a frame or length field not yet complete. */
  get pendingBytes(): number {
    return this.#hdrHave + this.#partHave + (this.#part ? STREAM_HEADER_LEN : 0);
  }

  /** Starts over (a new connection): forgets partial data and any error. */
  reset(): void {
    this.#hdrHave = 0;
    this.#part = null;
    this.#partHave = 0;
    this.#offset = 0;
    this.#error = null;
  }

  push(chunk: Uint8Array): FramingError | null {
    if (this.#error) return this.#error;
    const n = chunk.byteLength;
    const base = this.#offset;
    this.#offset = base + n;
    let i = 0;
    // Finish what the previous chunks left: a length field, then a frame.
    if (this.#hdrHave > 0 || this.#part !== null) {
      i = this.#continue(chunk, base);
      if (i < 0) return this.#error;
    }
    const max = this.maxFrameLen;
    const sink = this.#sink;
    while (n - i >= STREAM_HEADER_LEN) {
      const len = ((chunk[i] << 24) | (chunk[i + 1] << 16) | (chunk[i + 2] << 8) | chunk[i + 3]) >>> 0;
      if (len === 0 || len > max) return this.#fail(len, base + i);
      const start = i + STREAM_HEADER_LEN;
      const end = start + len;
      if (end <= n) {
        this.frames++;
        sink(chunk.subarray(start, end));
        i = end;
      } else {
        // The frame goes on in the next chunk: gather it into its own buffer.
        const part = new Uint8Array(len);
        part.set(chunk.subarray(start, n));
        this.#part = part;
        this.#partHave = n - start;
        return null;
      }
    }
    if (i < n) {
      this.#hdr.set(chunk.subarray(i, n));
      this.#hdrHave = n - i;
    }
    return null;
  }

  /** The stream ended. Null at a frame boundary; a "truncated" FramingError in the middle of one. */
  end(): FramingError | null {
    if (this.#error) return this.#error;
    if (this.#hdrHave === 0 && this.#part === null) return null;
    const missing =
      this.#part !== null ? this.#part.byteLength - this.#partHave : STREAM_HEADER_LEN - this.#hdrHave;
    const what =
      this.#part !== null
        ? `a ${this.#part.byteLength}-byte frame cut after ${this.#partHave} bytes`
        : `a length field cut after ${this.#hdrHave} of 4 bytes`;
    this.#error = new FramingError(
      "truncated",
      this.#offset,
      missing,
      this.maxFrameLen,
      `stream ended inside a frame: ${what} (at stream byte ${this.#offset})`,
    );
    this.#part = null;
    this.#hdrHave = 0;
    return this.#error;
  }

  /**
   * Consumes the start of `chunk` (which begins at stream byte `base`) that completes the pending length
   * field and frame; returns how many bytes it used, or -1 on a bad length.
   */
  #continue(chunk: Uint8Array, base: number): number {
    const n = chunk.byteLength;
    let i = 0;
    if (this.#part === null) {
      const take = Math.min(STREAM_HEADER_LEN - this.#hdrHave, n);
      this.#hdr.set(chunk.subarray(0, take), this.#hdrHave);
      this.#hdrHave += take;
      i = take;
      if (this.#hdrHave < STREAM_HEADER_LEN) return n;
      const h = this.#hdr;
      const len = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
      this.#hdrHave = 0;
      if (len === 0 || len > this.maxFrameLen) {
        this.#fail(len, base + i - STREAM_HEADER_LEN);
        return -1;
      }
      this.#part = new Uint8Array(len);
      this.#partHave = 0;
    }
    const part = this.#part;
    const take = Math.min(part.byteLength - this.#partHave, n - i);
    part.set(chunk.subarray(i, i + take), this.#partHave);
    this.#partHave += take;
    i += take;
    if (this.#partHave === part.byteLength) {
      this.#part = null;
      this.#partHave = 0;
      this.frames++;
      this.#sink(part);
    }
    return i;
  }

  #fail(len: number, at: number): FramingError {
    const max = this.maxFrameLen;
    const message =
      len === 0
        ? `frame length 0 at stream byte ${at} (a frame has at least one byte)`
        : `frame length ${len} at stream byte ${at} exceeds the maximum ${max} (MTU + Ethernet header + VLAN tags)`;
    this.#error = new FramingError(len === 0 ? "zero-length" : "too-long", at, len, max, message);
    this.#part = null;
    this.#hdrHave = 0;
    return this.#error;
  }
}

/** Why a datagram was dropped: empty, or longer than the largest frame. */
export type DatagramProblem = "empty" | "too-long";

/** One frame per datagram: null when the datagram is a frame the port may carry. */
export function datagramProblem(dgram: Uint8Array, maxFrameLen: number): DatagramProblem | null {
  if (dgram.byteLength === 0) return "empty";
  if (dgram.byteLength > maxFrameLen) return "too-long";
  return null;
}

/**
 * Batches frames for one stream write: `add(frame)` appends length + frame; `take()` hands the batch out
 * as a view nobody writes again (later batches go after it in the same slab, or into a new slab). One
 * write per batch instead of one per frame is what makes a stream port fast.
 */
export class StreamBatch {
  readonly #slabSize: number;
  #slab: Uint8Array;
  /** The current batch is `#slab[#start, #end)`. */
  #start = 0;
  #end = 0;
  /** Frames in the current batch. */
  count = 0;

  constructor(slabSize = 256 * 1024) {
    this.#slabSize = slabSize;
    this.#slab = new Uint8Array(slabSize);
  }

  /** Bytes in the current batch. */
  get bytes(): number {
    return this.#end - this.#start;
  }

  add(frame: Uint8Array): void {
    const need = STREAM_HEADER_LEN + frame.byteLength;
    if (this.#end + need > this.#slab.byteLength) {
      // A new slab; the batch so far moves with it (the old slab keeps what was taken).
      const have = this.#end - this.#start;
      const slab = new Uint8Array(Math.max(this.#slabSize, 2 * (have + need)));
      slab.set(this.#slab.subarray(this.#start, this.#end));
      this.#slab = slab;
      this.#start = 0;
      this.#end = have;
    }
    const buf = this.#slab;
    const at = this.#end;
    const len = frame.byteLength;
    buf[at] = len >>> 24;
    buf[at + 1] = (len >>> 16) & 0xff;
    buf[at + 2] = (len >>> 8) & 0xff;
    buf[at + 3] = len & 0xff;
    buf.set(frame, at + STREAM_HEADER_LEN);
    this.#end = at + need;
    this.count++;
  }

  /** The batch so far (null when empty), never written again; the next frames start a new batch. */
  take(): Uint8Array | null {
    if (this.#end === this.#start) return null;
    const out = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    this.count = 0;
    return out;
  }
}
