/**
 * The datagram attach point (QEMU `-netdev dgram,local.type=inet,…,remote.type=inet,…`, legacy
 * `-netdev socket,udp=…,localaddr=…`): one frame per UDP datagram on loopback.
 *
 * UDP has no connection, so "carrier" means "a peer address is known": given up front (`remote`), or
 * learned from the first datagram. With a fixed remote, datagrams from anywhere else are dropped
 * ("foreign-source"). A datagram that is not a frame (empty, or longer than MTU + headers) is a counted
 * drop: datagrams cannot desynchronise, so nothing is closed. (Unix datagram sockets, the other QEMU
 * dgram flavour and vde_switch's, do not exist in Node's core.)
 */
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { formatEndpoint } from "./address.js";
import { type AttachOptions, AttachPoint } from "./attach-point.js";
import { datagramProblem } from "./framing.js";

export interface DgramAttachOptions extends AttachOptions {
  /** The peer's address (QEMU's `local.*`); without it, learned from the first datagram. */
  readonly remote?: { readonly host: string; readonly port: number };
}

export class DgramAttach extends AttachPoint {
  readonly #socket: Socket;
  #host: string;
  #port: number;
  #remote: { host: string; port: number } | null;
  readonly #fixed: boolean;
  #closed = false;

  private constructor(name: string, socket: Socket, host: string, port: number, opts: DgramAttachOptions) {
    super(name, "dgram", opts);
    this.#socket = socket;
    this.#host = host;
    this.#port = port;
    this.#remote = opts.remote ? { ...opts.remote } : null;
    this.#fixed = opts.remote !== undefined;
  }

  /** Binds `host:port` (loopback; port 0 = any free port). */
  static async open(
    name: string,
    where: { readonly host: string; readonly port: number },
    opts: DgramAttachOptions = {},
  ): Promise<DgramAttach> {
    const socket = createSocket(isIP(where.host) === 6 ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(where.port, where.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    const ap = new DgramAttach(name, socket, where.host, socket.address().port, opts);
    socket.on("message", (msg, rinfo) => ap.#message(msg, rinfo.address, rinfo.port));
    socket.on("error", (e) => ap.log(`${ap.label}: socket error: ${e.message}`));
    if (ap.#remote) ap.setState("connected");
    return ap;
  }

  get address(): string {
    return formatEndpoint({ kind: "udp", host: this.#host, port: this.#port });
  }

  /** The UDP port bound. */
  get port(): number {
    return this.#port;
  }

  /** The peer's address, when known. */
  get remote(): { readonly host: string; readonly port: number } | null {
    return this.#remote;
  }

  #message(msg: Buffer, host: string, port: number): void {
    if (this.#closed) return;
    const r = this.#remote;
    if (r === null) {
      this.#remote = { host, port };
      this.log(`${this.label}: peer ${host}:${port} (carrier up)`);
      this.setState("connected");
    } else if (r.host !== host || r.port !== port) {
      if (this.#fixed) {
        this.counters.dropRx("foreign-source");
        return;
      }
      // A learned peer that comes back from another port (a restarted QEMU): follow it.
      this.#remote = { host, port };
      this.log(`${this.label}: peer is now ${host}:${port}`);
    }
    const frame = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const problem = datagramProblem(frame, this.maxFrameLen);
    if (problem !== null) {
      this.counters.dropRx(problem);
      return;
    }
    this.received(frame);
  }

  send(frame: Uint8Array): boolean {
    const r = this.#remote;
    if (r === null || this.#closed) {
      this.counters.dropTx("carrier-down");
      return false;
    }
    if (this.#socket.getSendQueueSize() + frame.byteLength > this.txQueueBytes) {
      this.counters.dropTx("tx-queue-full");
      return false;
    }
    this.counters.txFrames++;
    this.counters.txBytes += frame.byteLength;
    this.#socket.send(frame, r.port, r.host, (e) => {
      if (e) this.counters.dropTx("send-error");
    });
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.setState("closed");
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
