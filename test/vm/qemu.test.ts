/**
 * The end-to-end test of issue 5, with real QEMU guests (`npm run test:vm`; `npm test` skips it unless
 * VNET_VM=1). A topology with a QEMU-slirp-like NAT network holding two VM slots (vm1, vm2) and a
 * VirtualBox-internal-like isolated network holding one (vm3) beside a simulated peer, served by vnet in
 * real time (`startServe`, the code of `vnet serve`, in this process). Three Debian cloud kernels boot
 * under `-accel tcg` with the test initramfs (scripts/vm/), each NIC on its attach point through QEMU's
 * fd backend. The guests report on their serial consoles; the test checks those reports AND vnet's own
 * captures and tables, then replays the recorded session in virtual time (`replayRun`) and compares
 * every capture byte for byte.
 *
 * Without qemu-system-x86_64 or the fetched kernel/busybox the test is skipped with the reason, except
 * in CI (the `CI` variable set), where it fails. Every QEMU has a hard timeout and is killed in
 * `finally`; only unix sockets and inherited fds are used. VNET_VM_KEEP=1 keeps the work directory.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFilter } from "../../captures/filter.js";
import { openCapture } from "../../captures/index.js";
import { formatCapture } from "../../captures/print/index.js";
import { type ServeResult, type ServeSession, startServe } from "../../cli/serve.js";
import { writeInitramfs } from "../../scripts/vm/initramfs.js";
import { parseTopologyYaml, replayRun } from "../../topology/index.js";
import { Guest } from "./guest.js";
import { findVmTools, inCi } from "./tools.js";

const RUN = process.env.VNET_VM === "1";

const TOPOLOGY = `
name: vm-e2e
seed: 5
networks:
  lan:
    mode: nat            # QEMU slirp's plan: gateway 10.0.2.2, DNS 10.0.2.3, pool 10.0.2.15-30
    dhcp: { reservations: [{ mac: "52:54:00:e2:e0:02", ip: 10.0.2.20 }] }
  iso:
    mode: isolated       # VirtualBox internal network, with its DHCP server at .100 (pool .101-.254)
    subnet: 192.168.77.0/24
    dhcp: true
vms:
  vm1: { nics: [{ network: lan, mac: "52:54:00:e2:e0:01" }] }
  vm2: { nics: [{ network: lan, mac: "52:54:00:e2:e0:02" }] }
  vm3: { nics: [{ network: iso, mac: "52:54:00:e2:e0:03" }] }
  peer: { nics: [{ network: iso, ip: 192.168.77.10/24 }], udp-echo: 7 }
captures: all
`;

const WEB = "198.51.100.10"; // the default outside server (UDP echo on 7); web.example.net
const HOST_UPLINK = "198.51.100.2"; // the NAT's outside address

/** What each guest's /init does (kernel command-line words, scripts/vm/init.sh). */
const GUESTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  vm1: {
    vnet_ping: `10.0.2.2,10.0.2.20,${WEB}`,
    vnet_resolve: "vm2,web.example.net",
    vnet_udp: `${WEB}:7`,
  },
  vm2: {
    vnet_ping: `10.0.2.2,10.0.2.15,${WEB}`,
    vnet_resolve: "vm1,web.example.net",
    vnet_udp: `${WEB}:7`,
  },
  vm3: {
    vnet_ping: "192.168.77.10",
    vnet_udp: "192.168.77.10:7",
    vnet_unreach: `${WEB},10.0.2.2,10.0.2.15`,
    vnet_route: "onlink",
  },
};

/** Wall-clock bounds (ms). */
const GUEST_TIMEOUT = 150_000;
const TEST_TIMEOUT = 175_000;

/** How many records of a capture file match a pcap-filter expression (and carry `text`, if given). */
function count(file: string, expr: string, text?: string): number {
  const r = openCapture(file);
  const needle = text === undefined ? null : Buffer.from(text, "latin1");
  try {
    const f = compileFilter(expr, r.header.linkType);
    let n = 0;
    for (const rec of r) {
      if (!f(rec.data, rec.origLen)) continue;
      if (needle && Buffer.from(rec.data.buffer, rec.data.byteOffset, rec.data.length).indexOf(needle) < 0)
        continue;
      n++;
    }
    return n;
  } finally {
    r.close();
  }
}

/** tcpdump -n -t -r FILE, for failure messages and text assertions. */
function printed(file: string): string {
  const r = openCapture(file);
  try {
    return formatCapture(r, { time: "none", number: false });
  } finally {
    r.close();
  }
}

describe.skipIf(!RUN)("real QEMU guests on a vnet network (npm run test:vm)", () => {
  it(
    "two guests behind NAT and one on an isolated network: DHCP, ping, DNS, NAT (ICMP, UDP), isolation; the session replays byte for byte",
    async (ctx) => {
      const tools = findVmTools();
      if (typeof tools === "string") {
        if (inCi()) throw new Error(`the QEMU end-to-end test cannot run in CI: ${tools}`);
        console.warn(`test:vm skipped: ${tools}`);
        ctx.skip(tools);
        return;
      }
      const work = mkdtempSync(join(tmpdir(), "vnet-vm-"));
      const sessionDir = join(work, "session");
      const consoles = join(work, "console");
      mkdirSync(consoles);
      const guests: Guest[] = [];
      let session: ServeSession | null = null;
      let ok = false;
      try {
        const initrd = join(work, "initramfs.cpio");
        writeInitramfs(tools.cache, initrd);

        const spec = parseTopologyYaml(TOPOLOGY, "vm-e2e.yaml");
        const log: string[] = [];
        session = await startServe(
          { spec },
          {
            listen: { kind: "unix", path: join(work, "sock") },
            dir: sessionDir,
            vms: ["vm1", "vm2", "vm3"],
            log: (l) => log.push(l),
          },
        );
        expect(session.nics.map((n) => n.edge)).toEqual(["vm1.eth0", "vm2.eth0", "vm3.eth0"]);

        for (const nic of session.nics) {
          guests.push(
            await Guest.launch({
              name: nic.vm,
              qemu: tools.qemu,
              kernel: tools.kernel,
              initrd,
              params: { vnet_name: nic.vm, ...GUESTS[nic.vm] },
              socket: (nic.backend as { to: { path: string } }).to.path,
              edge: nic.edge,
              mac: nic.mac,
              timeoutMs: GUEST_TIMEOUT,
              consoleLog: join(consoles, `${nic.vm}.log`),
            }),
          );
        }
        // Every guest done (or gone); then release them together, so none powers off while another
        // still pings it.
        await Promise.all(guests.map((g) => g.waitMark(/^ready$/)));
        for (const g of guests) g.say("go");
        const exits = await Promise.all(
          guests.map((g) => Promise.race([g.exited, new Promise((r) => setTimeout(() => r(null), 30_000))])),
        );
        const why = guests.map((g) => g.tail()).join("\n");
        for (const [i, g] of guests.entries()) {
          expect(g.killedForTimeout, `${g.name} hit the ${GUEST_TIMEOUT} ms timeout\n${why}`).toBe(false);
          expect(exits[i], `${g.name} did not power off\n${why}`).not.toBeNull();
          expect(g.mark("poweroff"), `${g.name}: no poweroff\n${why}`).toBe("poweroff");
          expect(
            g.marks.filter((m) => m.startsWith("error")),
            why,
          ).toEqual([]);
        }
        const result: ServeResult = await session.stop();
        const [vm1, vm2, vm3] = guests;

        // --- What the guests say (serial consoles) -------------------------------------------------
        // Each guest got the lease vnet offered: vm1 the first of slirp's pool, vm2 its reservation,
        // vm3 the first of the isolated network's pool; router and DNS as QEMU slirp gives them.
        expect(vm1.mark("lease"), why).toMatch(
          /^lease ip=10\.0\.2\.15 mask=24 router=10\.0\.2\.2 dns=10\.0\.2\.3 /,
        );
        expect(vm2.mark("lease"), why).toMatch(
          /^lease ip=10\.0\.2\.20 mask=24 router=10\.0\.2\.2 dns=10\.0\.2\.3 /,
        );
        expect(vm3.mark("lease"), why).toMatch(/^lease ip=192\.168\.77\.101 mask=24 router= dns= /);
        // ... and the server's table agrees (MAC, address, the host name the guest sent, bound).
        const leases = result.report.dhcp.flatMap((d) => d.leases.map((l) => ({ network: d.network, ...l })));
        const lease = (mac: string) => leases.find((l) => l.mac === mac);
        expect(lease("52:54:00:e2:e0:01")).toMatchObject({
          network: "lan",
          ip: "10.0.2.15",
          hostname: "vm1",
          state: "bound",
        });
        expect(lease("52:54:00:e2:e0:02")).toMatchObject({
          network: "lan",
          ip: "10.0.2.20",
          hostname: "vm2",
          state: "bound",
        });
        expect(lease("52:54:00:e2:e0:03")).toMatchObject({
          network: "iso",
          ip: "192.168.77.101",
          hostname: "vm3",
          state: "bound",
        });

        const answered = /^ping \S+ sent=3 received=3$/;
        for (const [g, peer, peerIp] of [
          [vm1, "vm2", "10.0.2.20"],
          [vm2, "vm1", "10.0.2.15"],
        ] as const) {
          expect(g.mark("ping 10.0.2.2 "), why).toMatch(answered); // the gateway
          expect(g.mark(`ping ${peerIp} `), why).toMatch(answered); // the other guest by address
          expect(g.mark(`resolve ${peer} `), why).toBe(`resolve ${peer} ${peerIp}`); // vnet's DNS, from the lease
          expect(g.mark(`ping ${peer}=${peerIp} `), why).toMatch(answered); // ... and at that address
          expect(g.mark(`ping ${WEB} `), why).toMatch(answered); // the outside, through NAT
          expect(g.mark("resolve web.example.net "), why).toBe(`resolve web.example.net ${WEB}`); // forwarded
          expect(g.mark(`udp ${WEB}:7 `), why).toBe(`udp ${WEB}:7 ok`); // UDP echo through NAT
        }
        expect(vm3.mark("ping 192.168.77.10 "), why).toMatch(answered); // its peer
        expect(vm3.mark("udp 192.168.77.10:7 "), why).toBe("udp 192.168.77.10:7 ok");
        for (const a of [WEB, "10.0.2.2", "10.0.2.15"])
          expect(vm3.mark(`unreach ${a} `), why).toMatch(/^unreach \S+ sent=2 received=0$/);

        // --- What vnet saw (its captures) ----------------------------------------------------------
        const file = (port: string) => join(sessionDir, `${port.replace(".", "-")}.pcap`);
        // The outside server sees only the NAT's address: pings and UDP from 198.51.100.2, never 10.0.2.x.
        const web = file("web.eth0");
        expect(count(web, `icmp[icmptype] == icmp-echo and src host ${HOST_UPLINK}`)).toBeGreaterThanOrEqual(
          6,
        );
        expect(
          count(web, `icmp[icmptype] == icmp-echoreply and dst host ${HOST_UPLINK}`),
        ).toBeGreaterThanOrEqual(6);
        expect(count(web, `udp dst port 7 and src host ${HOST_UPLINK}`)).toBeGreaterThanOrEqual(2);
        expect(count(web, `udp src port 7 and dst host ${HOST_UPLINK}`)).toBeGreaterThanOrEqual(2);
        expect(count(web, "net 10.0.2.0/24 or net 192.168.77.0/24")).toBe(0);
        // The datagrams carried each guest's own payload (busybox nslookup's query name vnet-udp-vmN),
        // in both directions, inside (vmN's port) and outside (the server's).
        for (const g of ["vm1", "vm2"]) {
          const tag = `vnet-udp-${g}`;
          expect(count(file(`${g}.eth0`), `udp dst port 7 and dst host ${WEB}`, tag)).toBeGreaterThanOrEqual(
            1,
          );
          expect(count(file(`${g}.eth0`), `udp src port 7 and src host ${WEB}`, tag)).toBeGreaterThanOrEqual(
            1,
          );
          expect(
            count(web, `udp dst port 7 and src host ${HOST_UPLINK}`, tag),
            printed(web),
          ).toBeGreaterThanOrEqual(1);
          expect(count(web, `udp src port 7 and dst host ${HOST_UPLINK}`, tag)).toBeGreaterThanOrEqual(1);
        }
        // Guest to guest across vnet's bridge, both ways; DNS through the host's DNS service.
        const v1 = file("vm1.eth0");
        expect(
          count(v1, "icmp[icmptype] == icmp-echo and src host 10.0.2.15 and dst host 10.0.2.20"),
        ).toBeGreaterThanOrEqual(3);
        expect(
          count(v1, "icmp[icmptype] == icmp-echoreply and src host 10.0.2.20 and dst host 10.0.2.15"),
        ).toBeGreaterThanOrEqual(3);
        expect(count(v1, "udp dst port 53 and dst host 10.0.2.3")).toBeGreaterThanOrEqual(2);
        expect(count(v1, "udp src port 53 and src host 10.0.2.3")).toBeGreaterThanOrEqual(2);
        // DHCP: vnet's ACKs went to the guests' MACs.
        expect(count(v1, "udp src port 67 and ether dst 52:54:00:e2:e0:01")).toBeGreaterThanOrEqual(2);
        expect(
          count(file("vm2.eth0"), "udp src port 67 and ether dst 52:54:00:e2:e0:02"),
        ).toBeGreaterThanOrEqual(2);

        // Isolation: vm3 reached its peer, tried the rest on its own wire (ARP nobody answered), and
        // nothing of it appeared on any port outside its network (nor anything else on its own).
        const v3 = file("vm3.eth0");
        expect(
          count(v3, "icmp[icmptype] == icmp-echoreply and src host 192.168.77.10"),
        ).toBeGreaterThanOrEqual(3);
        const v3Text = printed(v3);
        expect(v3Text).toContain(`ARP, Request who-has ${WEB} tell 192.168.77.101`);
        expect(v3Text).not.toContain(`ARP, Reply ${WEB}`);
        expect(count(v3, "net 10.0.2.0/24 and not arp")).toBe(0);
        expect(count(v3, `host ${WEB} and not arp`)).toBe(0);
        const network = session.network;
        for (const c of result.record.captures) {
          const port = network.ports.get(c.port);
          if (!port || port.network === "iso") continue;
          expect(
            count(join(sessionDir, c.file), "ether host 52:54:00:e2:e0:03 or net 192.168.77.0/24"),
            c.port,
          ).toBe(0);
        }

        // Every frame the guests sent was recorded as it entered.
        expect(result.record.edges.frames).toBe(
          result.nics.reduce((n, x) => n + x.attach.counters.rxFrames, 0),
        );
        expect(result.record.edges.frames).toBeGreaterThan(50);

        // --- Replay: the recorded session, in virtual time, gives the same captures byte for byte ----
        const replay = replayRun(sessionDir, { captureDir: join(work, "replay") });
        expect(replay.verification.differ).toEqual([]);
        expect(replay.verification.missing).toEqual([]);
        expect(replay.verification.identical.length).toBe(result.record.captures.length);
        expect(replay.verification.ok).toBe(true);
        ok = true;
      } finally {
        for (const g of guests) g.kill();
        await Promise.all(guests.map((g) => g.exited));
        if (session) await session.stop();
        if (ok && process.env.VNET_VM_KEEP !== "1") rmSync(work, { recursive: true, force: true });
        else console.warn(`test:vm: work directory kept: ${work}`);
      }
    },
    TEST_TIMEOUT,
  );
});
