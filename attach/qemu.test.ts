import { describe, expect, it } from "vitest";
import { qemuDevice, qemuNetdev, qemuNetdevId, qemuNicArgs, shellLine } from "./qemu.js";

// The expected strings are REAL-VMS.md's table (QEMU 7.2, each proven with a guest getting DHCP).
describe("QEMU flags for attach points", () => {
  it("names netdevs after edges", () => {
    expect(qemuNetdevId("vm1.eth0")).toBe("vm1-eth0");
    expect(qemuNetdevId("1vm.eth0")).toBe("n-1vm-eth0");
  });

  it("writes each backend as QEMU 7.2 takes it", () => {
    expect(qemuNetdev("n0", { kind: "stream", to: { kind: "unix", path: "/run/v/vm1.eth0.sock" } })).toBe(
      "stream,id=n0,server=off,addr.type=unix,addr.path=/run/v/vm1.eth0.sock",
    );
    expect(qemuNetdev("n0", { kind: "stream", to: { kind: "tcp", host: "127.0.0.1", port: 5000 } })).toBe(
      "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5000",
    );
    expect(qemuNetdev("n0", { kind: "socket", to: { kind: "tcp", host: "127.0.0.1", port: 5000 } })).toBe(
      "socket,id=n0,connect=127.0.0.1:5000",
    );
    expect(qemuNetdev("n0", { kind: "fd", fd: 3 })).toBe("stream,id=n0,addr.type=fd,addr.str=3");
    expect(
      qemuNetdev("n0", {
        kind: "dgram",
        remote: { host: "127.0.0.1", port: 6000 },
        local: { host: "127.0.0.1", port: 6001 },
      }),
    ).toBe(
      "dgram,id=n0,remote.type=inet,remote.host=127.0.0.1,remote.port=6000,local.type=inet,local.host=127.0.0.1,local.port=6001",
    );
    expect(qemuDevice("n0", "52:54:00:12:34:01")).toBe("virtio-net-pci,netdev=n0,mac=52:54:00:12:34:01");
  });

  it("escapes commas for QEMU and quotes for the shell", () => {
    const args = qemuNicArgs(
      "n0",
      { kind: "stream", to: { kind: "unix", path: "/tmp/a,b c/s.sock" } },
      "52:54:00:00:00:01",
    );
    expect(args[1]).toBe("stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/a,,b c/s.sock");
    expect(shellLine(args)).toBe(
      "-netdev 'stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/a,,b c/s.sock' -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01",
    );
    expect(shellLine(["it's"])).toBe("'it'\\''s'");
  });
});
