/**
 * The QEMU command-line flags that plug a VM's NIC into an attach point, exactly as QEMU 7.2 takes them
 * (REAL-VMS.md lists each form as proven with a guest getting DHCP and pinging):
 *
 * | attach point              | `-netdev`                                                                  |
 * | ------------------------- | -------------------------------------------------------------------------- |
 * | stream server, unix       | `stream,id=ID,server=off,addr.type=unix,addr.path=P`                       |
 * | stream server, TCP        | `stream,id=ID,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=N`  |
 * |   (legacy, same listener) | `socket,id=ID,connect=127.0.0.1:N`                                         |
 * | inherited fd              | `stream,id=ID,addr.type=fd,addr.str=3`                                     |
 * | UDP                       | `dgram,id=ID,remote.type=inet,…,local.type=inet,…`                         |
 *
 * and `-device virtio-net-pci,netdev=ID,mac=52:54:00:…`. QEMU option values escape a comma as `,,`.
 */
import type { Endpoint } from "./address.js";

/** A QEMU `id=` for an edge name: `vm1.eth0` → `vm1-eth0` (QEMU ids start with a letter; others get `n-`). */
export function qemuNetdevId(edge: string): string {
  const id = edge.replace(/[^A-Za-z0-9_-]/g, "-");
  return /^[A-Za-z]/.test(id) ? id : `n-${id}`;
}

/** Escapes a value inside a QEMU option list (`,` → `,,`). */
export function qemuOptValue(v: string): string {
  return v.replaceAll(",", ",,");
}

/** What QEMU should connect its NIC to. */
export type QemuBackend =
  | { readonly kind: "stream"; readonly to: Endpoint & { readonly kind: "unix" | "tcp" } }
  | { readonly kind: "socket"; readonly to: Endpoint & { readonly kind: "tcp" } }
  | { readonly kind: "fd"; readonly fd: number }
  | {
      readonly kind: "dgram";
      /** vnet's socket (QEMU's remote). */
      readonly remote: { readonly host: string; readonly port: number };
      /** QEMU's own socket. */
      readonly local: { readonly host: string; readonly port: number };
    };

/** The value of `-netdev` for a backend. */
export function qemuNetdev(id: string, b: QemuBackend): string {
  switch (b.kind) {
    case "stream":
      return b.to.kind === "unix"
        ? `stream,id=${id},server=off,addr.type=unix,addr.path=${qemuOptValue(b.to.path)}`
        : `stream,id=${id},server=off,addr.type=inet,addr.host=${b.to.host},addr.port=${b.to.port}`;
    case "socket":
      return `socket,id=${id},connect=${b.to.host.includes(":") ? `[${b.to.host}]` : b.to.host}:${b.to.port}`;
    case "fd":
      return `stream,id=${id},addr.type=fd,addr.str=${b.fd}`;
    case "dgram":
      return (
        `dgram,id=${id},remote.type=inet,remote.host=${b.remote.host},remote.port=${b.remote.port},` +
        `local.type=inet,local.host=${b.local.host},local.port=${b.local.port}`
      );
  }
}

/** The value of `-device` for a NIC (default model virtio-net-pci). */
export function qemuDevice(id: string, mac: string, model = "virtio-net-pci"): string {
  return `${model},netdev=${id},mac=${mac}`;
}

/** `-netdev … -device …` as argv words. */
export function qemuNicArgs(id: string, b: QemuBackend, mac: string, model?: string): string[] {
  return ["-netdev", qemuNetdev(id, b), "-device", qemuDevice(id, mac, model)];
}

/** Quotes a word for a POSIX shell when it needs it (single quotes). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=,@%+-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** argv words as one shell line. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
