import type { IpInterface } from "./interface.js";
import type { IpStack } from "./stack.js";

/** Netfilter's five IPv4 hook points. */
export type HookPoint = "prerouting" | "input" | "forward" | "output" | "postrouting";

export const HOOK_POINTS: readonly HookPoint[] = ["prerouting", "input", "forward", "output", "postrouting"];

export interface HookContext {
  readonly stack: IpStack;
  readonly point: HookPoint;
  /** prerouting, input, forward (null for a packet looped back to this stack). */
  readonly inIf: IpInterface | null;
  /** forward, postrouting; output: the routed interface if known (null on loopback). */
  readonly outIf: IpInterface | null;
}

/**
 * A whole IPv4 packet (header + payload, never a fragment when hooks are registered: the stack
 * reassembles before prerouting, like nf_defrag_ipv4). Return the packet to continue with (the same
 * buffer or a NEW one — never mutate the one given), or null to drop (the hook counts its own reason).
 * The context object is valid only during the call.
 */
export type IpHook = (packet: Uint8Array, ctx: HookContext) => Uint8Array | null;

interface Registered {
  readonly hook: IpHook;
  readonly priority: number;
  readonly seq: number;
}

class MutableContext implements HookContext {
  inIf: IpInterface | null = null;
  outIf: IpInterface | null = null;
  constructor(
    readonly stack: IpStack,
    readonly point: HookPoint,
  ) {}
}

/** The hooks of one point, ordered by priority (lower first), then registration order. */
export class HookChain {
  hooks: IpHook[] = [];
  #entries: Registered[] = [];
  readonly #ctx: MutableContext;

  constructor(stack: IpStack, point: HookPoint) {
    this.#ctx = new MutableContext(stack, point);
  }

  add(hook: IpHook, priority: number, seq: number): () => void {
    const e: Registered = { hook, priority, seq };
    this.#entries.push(e);
    this.#sort();
    return () => {
      const i = this.#entries.indexOf(e);
      if (i >= 0) {
        this.#entries.splice(i, 1);
        this.#sort();
      }
    };
  }

  #sort(): void {
    this.#entries.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.hooks = this.#entries.map((e) => e.hook);
  }

  /** Runs every hook in order; null as soon as one drops. (Re-entrant: fields are reset per call.) */
  run(packet: Uint8Array, inIf: IpInterface | null, outIf: IpInterface | null): Uint8Array | null {
    const hs = this.hooks;
    const ctx = this.#ctx;
    let p: Uint8Array | null = packet;
    for (let i = 0; i < hs.length; i++) {
      ctx.inIf = inIf;
      ctx.outIf = outIf;
      p = hs[i](p, ctx);
      if (p === null) return null;
    }
    return p;
  }
}
