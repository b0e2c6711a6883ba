import { type Ipv4, type Mac, parseIpv4Address, parseMac } from "../wire/addr.js";
import { WireError } from "../wire/errors.js";

/** Bad configuration given to a service's constructor (never thrown for packets). */
export class ServiceConfigError extends Error {
  override readonly name = "ServiceConfigError";
}

/** An address given as a branded number or as "a.b.c.d" text. */
export function toIpv4(v: Ipv4 | string, what: string): Ipv4 {
  if (typeof v !== "string") {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
      throw new ServiceConfigError(`${what}: ${v} is not an IPv4 address`);
    return v;
  }
  try {
    return parseIpv4Address(v.trim());
  } catch (e) {
    if (e instanceof WireError)
      throw new ServiceConfigError(`${what}: not an IPv4 address: ${JSON.stringify(v)}`);
    throw e;
  }
}

/** A MAC given as a branded number or as "aa:bb:cc:dd:ee:ff" text. */
export function toMac(v: Mac | string, what: string): Mac {
  if (typeof v !== "string") return v;
  try {
    return parseMac(v);
  } catch (e) {
    if (e instanceof WireError)
      throw new ServiceConfigError(`${what}: not a MAC address: ${JSON.stringify(v)}`);
    throw e;
  }
}

/** A DNS name in the form services compare: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith(".") && n.length > 1 ? n.slice(0, -1) : n;
}
