/**
 * The shape of a router/NAT differential scenario, shared by the Linux side (linux-router.ts) and the
 * vnet side (vnet-router.ts): one router with two interfaces, `lan` and `wan`, each facing a silent
 * injection/capture point; static (PERMANENT) neighbours so no ARP is needed; optional static routes,
 * masquerade out of `wan` and DNAT port forwards in from `wan`. A scenario is a script over a `RouterRig`
 * (send a frame from one side, read what the router has sent out of each side so far), so a later frame
 * can answer what the router actually chose (a NAT port). Both rigs run the same script.
 */

/** The two sides of the router. */
export type Side = "lan" | "wan";

export interface RouterIfSetup {
  /** Router address with prefix length ("10.0.2.2/24"). */
  readonly cidr: string;
  /** Router interface MAC. */
  readonly mac: string;
  /** Interface MTU (default 1500). */
  readonly mtu?: number;
}

export interface RouterSetup {
  /** `net.ipv4.ip_forward`. */
  readonly forwarding: boolean;
  readonly lan: RouterIfSetup;
  readonly wan: RouterIfSetup;
  /** `ip neigh add ADDR lladdr MAC dev SIDE nud permanent`. */
  readonly neighbours: readonly { readonly side: Side; readonly address: string; readonly mac: string }[];
  /** `ip route add DST via VIA dev SIDE`. */
  readonly routes?: readonly { readonly dst: string; readonly via: string; readonly side: Side }[];
  /** `iptables -t nat -A POSTROUTING -o wan -j MASQUERADE`. */
  readonly masquerade?: boolean;
  /** `iptables -t nat -A PREROUTING -i wan -p PROTO --dport DPORT -j DNAT --to-destination TO:TOPORT`. */
  readonly dnat?: readonly {
    readonly proto: "tcp" | "udp";
    readonly dport: number;
    readonly to: string;
    readonly toPort: number;
  }[];
}

/** One `conntrack -L` line, split into its fields (the same parser reads Linux's and vnet's dump). */
export interface ConntrackEntry {
  readonly proto: string;
  readonly protonum: number;
  /** Seconds left. */
  readonly timeout: number;
  /** TCP state (ESTABLISHED, SYN_SENT …); null for UDP and ICMP. */
  readonly state: string | null;
  /** `key=value` fields of the original direction, in order (src, dst, sport, dport / type, code, id). */
  readonly original: readonly string[];
  /** … of the reply direction. */
  readonly reply: readonly string[];
  readonly unreplied: boolean;
  readonly assured: boolean;
  /** The remaining `key=value` fields (mark, use, …). */
  readonly rest: readonly string[];
}

/**
 * Parses `conntrack -L` output (conntrack-tools' default format):
 * `udp      17 29 src=… dst=… sport=… dport=… [UNREPLIED] src=… dst=… sport=… dport=… mark=0 use=1`.
 * The first four `key=value` fields after the state (or 5+ for ICMP: type, code, id) form the original
 * tuple; the tuple restarts at the second `src=`.
 */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length < 3 || !/^\d+$/.test(words[1] ?? "")) continue;
    const [proto, protonum, timeout] = words;
    let i = 3;
    let state: string | null = null;
    if (words[i] && !words[i].includes("=") && !words[i].startsWith("[")) state = words[i++];
    const original: string[] = [];
    const reply: string[] = [];
    const rest: string[] = [];
    let unreplied = false;
    let assured = false;
    let part = 0; // 0 original, 1 reply, 2 rest
    for (; i < words.length; i++) {
      const w = words[i];
      if (w === "[UNREPLIED]") unreplied = true;
      else if (w === "[ASSURED]") assured = true;
      else if (w.startsWith("[")) rest.push(w);
      else if (w.startsWith("src=") && part === 0 && original.length > 0) {
        part = 1;
        reply.push(w);
      } else if (part === 1 && /^(mark|use|zone|secctx|labels|delta-time)=/.test(w)) {
        part = 2;
        rest.push(w);
      } else (part === 0 ? original : part === 1 ? reply : rest).push(w);
    }
    out.push({
      proto,
      protonum: Number(protonum),
      timeout: Number(timeout),
      state,
      original,
      reply,
      unreplied,
      assured,
      rest,
    });
  }
  return out;
}

/** A router under test, Linux or vnet, driven by a scenario script. */
export interface RouterRig {
  /** Sends `frame` into the router from `side`, then lets it work (a short pause / simulated time). */
  send(side: Side, frame: Uint8Array): Promise<void>;
  /** Sends `frames` back to back from `side` (one tcpreplay run; one simulated instant), then pauses. */
  sendBurst(side: Side, frames: readonly Uint8Array[]): Promise<void>;
  /** Lets `seconds` pass (wall time on Linux, simulated time in vnet): for the router's own timers. */
  wait(seconds: number): Promise<void>;
  /** Every frame the router has sent out of `side` so far, in order. */
  received(side: Side): Promise<Uint8Array[]>;
  /** The connection tracking table, `conntrack -L` fields. */
  conntrack(): Promise<ConntrackEntry[]>;
  /** Ip/Icmp/Udp counters by `/proc/net/snmp` name ("Ip:InAddrErrors"). */
  counters(): Promise<Record<string, number>>;
  /** Seconds since the rig was set up (wall time on Linux, simulated time in vnet). */
  elapsedSeconds(): number;
}

export type RouterScript<T> = (rig: RouterRig) => Promise<T>;
