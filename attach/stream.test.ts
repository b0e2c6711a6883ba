import { spawn } from "node:child_process";
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AttachAddressError, parseEndpoint } from "./address.js";
import type { AttachPoint } from "./attach-point.js";
import { DgramAttach } from "./dgram.js";
import { encodeStreamFrame } from "./framing.js";
import { StreamPeer, UdpPeer, waitUntil } from "./peer.js";
import { StreamClientAttach, StreamServerAttach, spawnAttached } from "./stream.js";

/** An Ethernet frame 52:54:00:00:00:dd <- 52:54:00:00:00:ss, EtherType 0x88b5 (local experimental), `len` bytes. */
function frame(dst: number, src: number, mark: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x52, 0x54, 0, 0, 0, dst, 0x52, 0x54, 0, 0, 0, src, 0x88, 0xb5, mark]);
  return f;
}

let dir = "";
const open: { close(): Promise<void> }[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-attach-"));
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  rmSync(dir, { recursive: true, force: true });
});

function track<T extends { close(): Promise<void> }>(x: T): T {
  open.push(x);
  return x;
}

/** Records an attach point's frames, carrier events and log lines. */
function watch(ap: AttachPoint) {
  const w = { frames: [] as Uint8Array[], carrier: [] as boolean[], log: [] as string[] };
  ap.onFrame((f) => w.frames.push(f.slice()));
  ap.onCarrier((up) => w.carrier.push(up));
  return w;
}

function logTo(lines: string[]) {
  return { log: (l: string) => lines.push(l) };
}

describe("stream server on a unix socket (QEMU -netdev stream,server=off,addr.type=unix)", () => {
  it("carries frames both ways, with connect/disconnect as carrier up/down, and takes a reconnect", async () => {
    const log: string[] = [];
    const path = join(dir, "vm1.eth0.sock");
    const ap = track(await StreamServerAttach.listen("vm1.eth0", { kind: "unix", path }, logTo(log)));
    const w = watch(ap);
    expect(ap.address).toBe(`unix:${path}`);
    expect(ap.state).toBe("waiting");
    expect(ap.send(frame(1, 2, 0))).toBe(false); // no peer yet
    expect(ap.counters.txDrops.get("carrier-down")).toBe(1);

    const peer = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "carrier",
    );
    // Three frames in writes cut inside a length field and inside a frame (the decoder reassembles).
    const wire = new Uint8Array([
      ...encodeStreamFrame(frame(2, 1, 1)),
      ...encodeStreamFrame(frame(2, 1, 2, 42)),
      ...encodeStreamFrame(frame(2, 1, 3, 1514)),
    ]);
    peer.sendRaw(wire.subarray(0, 2));
    peer.sendRaw(wire.subarray(2, 100));
    peer.sendRaw(wire.subarray(100));
    await waitUntil(
      () => w.frames.length === 3,
      2000,
      () => `${w.frames.length} frames`,
    );
    expect(w.frames).toEqual([frame(2, 1, 1), frame(2, 1, 2, 42), frame(2, 1, 3, 1514)]);
    expect(ap.counters.rxFrames).toBe(3);
    expect(ap.counters.rxBytes).toBe(64 + 42 + 1514);

    expect(ap.send(frame(1, 2, 9))).toBe(true);
    expect(ap.send(frame(1, 2, 10))).toBe(true);
    await peer.waitFor(2);
    expect(peer.received).toEqual([frame(1, 2, 9), frame(1, 2, 10)]);
    expect(ap.counters.txFrames).toBe(2);

    await peer.close();
    await waitUntil(
      () => !ap.carrier,
      2000,
      () => "carrier down",
    );
    expect(ap.state).toBe("waiting");
    const again = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "carrier up again",
    );
    again.send(frame(2, 1, 4));
    await waitUntil(
      () => w.frames.length === 4,
      2000,
      () => "frame after reconnect",
    );
    await again.close();
    await waitUntil(
      () => !ap.carrier,
      2000,
      () => "carrier down again",
    );
    expect(w.carrier).toEqual([true, false, true, false]);
    expect(ap.counters.connects).toBe(2);
    expect(ap.counters.disconnects).toBe(2);
    expect(log.filter((l) => l.includes("connected (carrier up)")).length).toBe(2);
  });

  it("closes a connection that sends a length over MTU + headers, with one log line; the next peer works", async () => {
    const log: string[] = [];
    const path = join(dir, "g.sock");
    const ap = track(await StreamServerAttach.listen("vm1.eth0", { kind: "unix", path }, logTo(log)));
    const w = watch(ap);
    const bad = await StreamPeer.connect({ kind: "unix", path });
    bad.send(frame(2, 1, 1));
    bad.sendRaw(new Uint8Array([0x00, 0x01, 0x11, 0x70, 1, 2, 3, 4])); // 70000
    await bad.closed; // vnet closed it
    await waitUntil(
      () => ap.state === "waiting",
      2000,
      () => ap.state,
    );
    expect(w.frames).toEqual([frame(2, 1, 1)]); // the good frame before the garbage went through
    expect(ap.counters.framingErrors).toBe(1);
    const closing = log.filter((l) => l.includes("closing the connection"));
    expect(closing).toEqual([
      `attach vm1.eth0 (unix:${path}): closing the connection from a peer: frame length 70000 at stream byte 68 exceeds the maximum 1522 (MTU + Ethernet header + VLAN tags)`,
    ]);
    expect(w.carrier).toEqual([true, false]);

    const good = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "carrier",
    );
    good.send(frame(2, 1, 2));
    await waitUntil(
      () => w.frames.length === 2,
      2000,
      () => "frame from the next peer",
    );
    await good.close();
  });

  it("a zero length and a frame cut by the end of the stream also close with one line each", async () => {
    const log: string[] = [];
    const path = join(dir, "z.sock");
    const ap = track(await StreamServerAttach.listen("vm2.eth0", { kind: "unix", path }, logTo(log)));
    const zero = await StreamPeer.connect({ kind: "unix", path });
    zero.sendRaw(new Uint8Array([0, 0, 0, 0]));
    await zero.closed;
    await waitUntil(
      () => ap.state === "waiting",
      2000,
      () => ap.state,
    );
    const cut = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "carrier",
    );
    cut.sendRaw(encodeStreamFrame(frame(2, 1, 1)).subarray(0, 30));
    await cut.close();
    await waitUntil(
      () => ap.counters.framingErrors === 2,
      2000,
      () => "two framing errors",
    );
    const lines = log.filter((l) => l.includes("closing the connection"));
    expect(lines.length).toBe(2);
    expect(lines[0]).toContain("frame length 0 at stream byte 0");
    expect(lines[1]).toContain(
      "stream ended inside a frame: a 64-byte frame cut after 26 bytes (at stream byte 30)",
    );
    expect(ap.counters.rxFrames).toBe(0);
  });

  it("refuses a second peer while one is connected", async () => {
    const log: string[] = [];
    const path = join(dir, "two.sock");
    const ap = track(await StreamServerAttach.listen("vm1.eth0", { kind: "unix", path }, logTo(log)));
    const w = watch(ap);
    const first = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "carrier",
    );
    const second = await StreamPeer.connect({ kind: "unix", path });
    await second.closed;
    expect(log.some((l) => l.includes("refused a second connection"))).toBe(true);
    first.send(frame(2, 1, 7));
    await waitUntil(
      () => w.frames.length === 1,
      2000,
      () => "first peer still works",
    );
    expect(w.carrier).toEqual([true]);
    await first.close();
  });

  it("replaces a stale socket file, refuses to replace anything else", async () => {
    const path = join(dir, "stale.sock");
    // A crashed run leaves its socket file behind: a child listens, then is killed with SIGKILL.
    const js = `require('net').createServer().listen(${JSON.stringify(path)},()=>console.log('up'))`;
    const child = spawn(process.execPath, ["-e", js], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((r) => child.stdout?.once("data", () => r()));
    const dead = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await dead;
    expect(lstatSync(path).isSocket()).toBe(true);
    const b = track(await StreamServerAttach.listen("x", { kind: "unix", path }, logTo([])));
    expect(b.state).toBe("waiting");
    const peer = await StreamPeer.connect({ kind: "unix", path });
    await waitUntil(
      () => b.carrier,
      2000,
      () => "carrier on the new socket",
    );
    await peer.close();
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    await expect(StreamServerAttach.listen("y", { kind: "unix", path: file }, logTo([]))).rejects.toThrow(
      "exists and is not a socket",
    );
  });
});

describe("stream server on loopback TCP (QEMU -netdev stream,addr.type=inet / -netdev socket,connect=)", () => {
  it("listens on 127.0.0.1 (port 0 = a free port) and carries frames both ways", async () => {
    const ap = track(
      await StreamServerAttach.listen("vm1.eth0", { kind: "tcp", host: "127.0.0.1", port: 0 }, logTo([])),
    );
    const w = watch(ap);
    expect(ap.port).toBeGreaterThan(0);
    expect(ap.address).toBe(`tcp:127.0.0.1:${ap.port}`);
    const peer = await StreamPeer.connect(parseEndpoint(ap.address));
    peer.send(frame(2, 1, 1), frame(2, 1, 2));
    await waitUntil(
      () => w.frames.length === 2,
      2000,
      () => "frames",
    );
    ap.send(frame(1, 2, 3));
    await peer.waitFor(1);
    expect(peer.received[0]).toEqual(frame(1, 2, 3));
    await peer.close();
  });

  it("refuses a non-loopback address", () => {
    expect(() => parseEndpoint("tcp:0.0.0.0:5000")).toThrow(AttachAddressError);
    expect(() => parseEndpoint("tcp:192.168.1.2:5000")).toThrow("is not a loopback address");
    expect(parseEndpoint("tcp:localhost:5000")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 5000 });
    expect(parseEndpoint("udp:[::1]:0")).toEqual({ kind: "udp", host: "::1", port: 0 });
    expect(() => parseEndpoint("tcp:127.0.0.1:70000")).toThrow("bad port");
    expect(() => parseEndpoint("tap:x")).toThrow("expected unix:PATH");
  });
});

describe("stream client (QEMU -netdev stream,server=on / -netdev socket,listen=)", () => {
  it("connects to a listening peer, and reconnects after the peer drops it", async () => {
    const log: string[] = [];
    const conns: Socket[] = [];
    const qemu = createServer((s) => conns.push(s));
    await new Promise<void>((r) => qemu.listen(0, "127.0.0.1", () => r()));
    const port = (qemu.address() as { port: number }).port;
    const ap = track(
      StreamClientAttach.connect(
        "vm1.eth0",
        { kind: "tcp", host: "127.0.0.1", port },
        { ...logTo(log), retryMs: 20 },
      ),
    );
    const w = watch(ap);
    await waitUntil(
      () => ap.carrier && conns.length === 1,
      2000,
      () => "connected",
    );
    const peer = new StreamPeer(conns[0]);
    peer.send(frame(2, 1, 1));
    await waitUntil(
      () => w.frames.length === 1,
      2000,
      () => "frame",
    );
    ap.send(frame(1, 2, 2));
    await peer.waitFor(1);
    conns[0].destroy(); // QEMU went away
    await waitUntil(
      () => conns.length === 2 && ap.carrier,
      3000,
      () => "reconnected",
    );
    expect(w.carrier).toEqual([true, false, true]);
    await ap.close();
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => qemu.close(() => r()));
  });

  it("retries while nobody listens, logging the outage once", async () => {
    const log: string[] = [];
    const path = join(dir, "later.sock");
    const ap = track(
      StreamClientAttach.connect("vm1.eth0", { kind: "unix", path }, { ...logTo(log), retryMs: 10 }),
    );
    await waitUntil(
      () => log.length >= 1,
      2000,
      () => "first failure",
    );
    await new Promise((r) => setTimeout(r, 50)); // several attempts fail meanwhile
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(path, () => r()));
    await waitUntil(
      () => ap.carrier,
      2000,
      () => "connected once the peer listens",
    );
    expect(log.filter((l) => l.includes("cannot connect")).length).toBe(1);
    await ap.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe("stream over an inherited fd (QEMU -netdev stream,addr.type=fd,addr.str=3)", () => {
  it("gives a child fd 3 as a socket pair end; frames go through and the child's exit is carrier down", async () => {
    // The child echoes every byte back on fd 3 and exits when fd 3 ends: frames come back as sent.
    const js =
      "const s=new (require('net').Socket)({fd:3,readable:true,writable:true});s.on('data',d=>s.write(d));s.on('end',()=>s.end());";
    const log: string[] = [];
    const { child, attach } = spawnAttached("vm1.eth0", process.execPath, ["-e", js], logTo(log));
    track(attach);
    const w = watch(attach);
    expect(attach.carrier).toBe(true);
    expect(attach.address).toContain("fd 3 of");
    attach.send(frame(2, 1, 1));
    attach.send(frame(2, 1, 2, 1514));
    await waitUntil(
      () => w.frames.length === 2,
      5000,
      () => `${w.frames.length} echoed frames`,
    );
    expect(w.frames).toEqual([frame(2, 1, 1), frame(2, 1, 2, 1514)]);
    const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    await attach.close();
    expect(await exited).toBe(0);
    expect(attach.state).toBe("closed");
    expect(w.carrier).toEqual([false]);
  });
});

describe("datagram attach point (QEMU -netdev dgram over UDP on loopback)", () => {
  it("learns the peer from its first datagram, carries one frame per datagram, drops what is no frame", async () => {
    const log: string[] = [];
    const ap = track(await DgramAttach.open("vm1.eth0", { host: "127.0.0.1", port: 0 }, logTo(log)));
    const w = watch(ap);
    expect(ap.carrier).toBe(false);
    expect(ap.send(frame(1, 2, 0))).toBe(false);
    const peer = track(await UdpPeer.open({ host: "127.0.0.1", port: ap.port }));
    await peer.send(frame(2, 1, 1, 42));
    await waitUntil(
      () => w.frames.length === 1,
      2000,
      () => "first datagram",
    );
    expect(ap.carrier).toBe(true);
    expect(ap.remote).toEqual({ host: "127.0.0.1", port: peer.port });
    await peer.send(new Uint8Array(0));
    await peer.send(new Uint8Array(1600));
    await peer.send(frame(2, 1, 2));
    await waitUntil(
      () => w.frames.length === 2,
      2000,
      () => "second frame",
    );
    expect(w.frames).toEqual([frame(2, 1, 1, 42), frame(2, 1, 2)]);
    expect(ap.counters.rxDrops.get("empty")).toBe(1);
    expect(ap.counters.rxDrops.get("too-long")).toBe(1);
    expect(ap.send(frame(1, 2, 3))).toBe(true);
    await peer.waitFor(1);
    expect(peer.received[0]).toEqual(frame(1, 2, 3));
  });

  it("with a fixed remote, is up at once and drops datagrams from anyone else", async () => {
    const peer = track(await UdpPeer.open({ host: "127.0.0.1", port: 9 }));
    const ap = track(
      await DgramAttach.open(
        "vm1.eth0",
        { host: "127.0.0.1", port: 0 },
        { remote: { host: "127.0.0.1", port: peer.port }, log: () => {} },
      ),
    );
    const w = watch(ap);
    expect(ap.carrier).toBe(true);
    const stranger = track(await UdpPeer.open({ host: "127.0.0.1", port: ap.port }));
    await stranger.send(frame(2, 1, 1));
    ap.send(frame(1, 2, 5));
    await peer.waitFor(1);
    expect(peer.received[0]).toEqual(frame(1, 2, 5));
    await waitUntil(
      () => ap.counters.rxDrops.get("foreign-source") === 1,
      2000,
      () => "foreign drop",
    );
    expect(w.frames.length).toBe(0);
  });
});
