/**
 * Where attach points listen: `unix:PATH`, `tcp:HOST:PORT`, `udp:HOST:PORT` — loopback and unix sockets
 * only. vnet is not a network service: a VM on this machine connects to it, nothing from outside can.
 */
import { isIP } from "node:net";

export type Endpoint =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "udp"; readonly host: string; readonly port: number };

export class AttachAddressError extends Error {
  override readonly name = "AttachAddressError";
}

/** 127.0.0.0/8, ::1 and `localhost` (taken as 127.0.0.1). */
export function loopbackHost(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIP(h) === 4 && h.split(".")[0] === "127") return h;
  if (isIP(h) === 6 && (h === "::1" || /^(0{0,4}:){7}0{0,3}1$/.test(h))) return "::1";
  throw new AttachAddressError(
    `${host} is not a loopback address: attach points listen on 127.0.0.1 (or ::1) and unix sockets only`,
  );
}

function parsePort(s: string, what: string, allowZero: boolean): number {
  const n = /^[0-9]{1,5}$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isInteger(n) || n > 65535 || (!allowZero && n === 0))
    throw new AttachAddressError(`bad port ${JSON.stringify(s)} in ${what} (0..65535)`);
  return n;
}

/** Parses `unix:PATH`, `tcp:HOST:PORT`, `udp:HOST:PORT` (HOST loopback; `[::1]` for IPv6; port 0 = any free). */
export function parseEndpoint(s: string): Endpoint {
  const colon = s.indexOf(":");
  const scheme = colon < 0 ? "" : s.slice(0, colon);
  const rest = colon < 0 ? "" : s.slice(colon + 1);
  if (scheme === "unix") {
    if (rest === "") throw new AttachAddressError(`${s}: unix: needs a path`);
    return { kind: "unix", path: rest };
  }
  if (scheme === "tcp" || scheme === "udp") {
    const m = /^(\[[^\]]+\]|[^:]+):([^:]+)$/.exec(rest);
    if (!m) throw new AttachAddressError(`${s}: expected ${scheme}:HOST:PORT, e.g. ${scheme}:127.0.0.1:5000`);
    return { kind: scheme, host: loopbackHost(m[1]), port: parsePort(m[2], s, true) };
  }
  throw new AttachAddressError(
    `${JSON.stringify(s)}: expected unix:PATH, tcp:127.0.0.1:PORT or udp:127.0.0.1:PORT`,
  );
}

export function formatEndpoint(e: Endpoint): string {
  if (e.kind === "unix") return `unix:${e.path}`;
  return `${e.kind}:${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}
