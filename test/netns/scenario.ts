/**
 * The shape of a bridge differential scenario, shared by the Linux side (linux-bridge.test.ts) and the
 * vnet side (vnet-bridge.ts), and the frame formatting both outputs use.
 */
import type { BridgePortFlags } from "./netns.js";

/** A frame sent by host `from` (1-based), or a pause of `waitS` seconds (ageing). */
export type Step = { readonly from: number; readonly frame: Uint8Array } | { readonly waitS: number };

export interface Scenario {
  readonly name: string;
  /** Number of bridge ports, each with one host. */
  readonly ports: number;
  /** FDB ageing time in seconds (Linux default 300). */
  readonly ageingS?: number;
  /** Port flags by port number (1-based), with Linux's meaning (`bridge link set`). */
  readonly flags?: Readonly<Record<number, BridgePortFlags>>;
  /** Static FDB entries: MAC (48-bit number) on port; `sticky` as Linux's `static sticky`. */
  readonly statics?: readonly { readonly port: number; readonly mac: number; readonly sticky?: boolean }[];
  readonly steps: readonly Step[];
  /**
   * Which bridge each port (1-based, index `port - 1`) belongs to: bridge 0 (`br0`) unless given. Two
   * values make two separate bridges with no path between them (the "isolated bridges" scenario).
   */
  readonly bridgeOf?: readonly number[];
  /** The documented difference (test/fidelity/known.ts id) this scenario shows. */
  readonly known?: string;
}

/** What each bridge port (`p1`, `p2`, …) sent out toward its host, in order, as `formatFrame` strings. */
export type PortOutputs = Record<string, string[]>;

/** Writes a 48-bit MAC number big-endian at `off`. */
export function macBytes(m: number, out: Uint8Array, off: number): void {
  for (let i = 5; i >= 0; i--) {
    out[off + i] = m % 256;
    m = Math.floor(m / 256);
  }
}

export function macText(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}

/** `dst<src #seq len` then the bytes in hex: readable in a diff, exact for the comparison. */
export function formatFrame(f: Uint8Array): string {
  const seq = f.byteLength >= 16 ? (f[14] << 8) | f[15] : -1;
  const hex = Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("hex");
  return `${macText(f, 0)}<${macText(f, 6)} #${seq} ${f.byteLength}B ${hex}`;
}
